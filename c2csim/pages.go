package c2csim

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
)

// The pairing page stands in for the project's web app, where a person types the code
// shown by the device and chooses the project. verification_uri points here.

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · C2C simulator</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;background:#15171c;color:#e8e8ea;display:flex;justify-content:center;padding:4rem 1rem}
main{max-width:28rem;width:100%}
h1{font-size:1.4rem;margin:0 0 .3rem}p{color:#a9abb3;line-height:1.45}
label{display:block;margin:1.2rem 0 .4rem;color:#a9abb3;font-size:.9rem}
input{width:100%;box-sizing:border-box;padding:.7rem;border-radius:.5rem;border:1px solid #3a3d46;background:#1f2128;color:#fff;font-size:1.1rem}
input.code{font-size:2rem;letter-spacing:.5rem;text-align:center;font-variant-numeric:tabular-nums}
.row{display:flex;gap:.8rem;margin-top:1.6rem}
button{flex:1;padding:.8rem;border:0;border-radius:.5rem;font-size:1rem;cursor:pointer}
.approve{background:#5b53ff;color:#fff}.decline{background:#2a2c33;color:#e8e8ea}
.note{margin-top:1.6rem;padding:.8rem 1rem;border-radius:.5rem;background:#1f2128}
.ok{border-left:4px solid #3ecf8e}.err{border-left:4px solid #ff5d5d}
</style></head><body><main>
<h1>{{.Title}}</h1>
{{if .Message}}<div class="note {{if .Error}}err{{else}}ok{{end}}">{{.Message}}</div>{{end}}
{{if .Form}}
<p>Enter the six-digit code shown by the C2C Uploader to connect it to a project.</p>
<form method="post" action="/pair">
<label for="code">Pairing code</label>
<input class="code" id="code" name="code" inputmode="numeric" maxlength="6" value="{{.Code}}" autofocus required>
<label for="project">Project</label>
<input id="project" name="project" value="{{.Project}}">
<div class="row"><button class="approve" name="action" value="approve">Connect device</button>
<button class="decline" name="action" value="decline">Decline</button></div>
</form>{{end}}
</main></body></html>`))

type pageData struct {
	Title, Message, Code, Project string
	Error, Form                   bool
}

func renderPage(w http.ResponseWriter, status int, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, d)
}

func (s *Server) handlePairPage(w http.ResponseWriter, r *http.Request) {
	renderPage(w, http.StatusOK, pageData{
		Title: "Connect a C2C device", Code: r.PathValue("code"), Project: s.opts.ProjectName, Form: true,
	})
}

func (s *Server) handlePairForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		renderPage(w, http.StatusBadRequest, pageData{Title: "Connect a C2C device", Message: "The form could not be read.", Error: true, Form: true})
		return
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	projectName := strings.TrimSpace(r.PostFormValue("project"))
	if projectName == "" {
		projectName = s.opts.ProjectName
	}
	var err error
	var done string
	if r.PostFormValue("action") == "decline" {
		err, done = s.Decline(code), "The request was declined. The device will say so."
	} else {
		err, done = s.Approve(code, Approval{ProjectName: projectName}), "Connected. The device will show "+strconv.Quote(projectName)+" in a few seconds."
	}
	if err != nil {
		renderPage(w, http.StatusBadRequest, pageData{Title: "Connect a C2C device", Message: err.Error(), Error: true, Form: true, Code: code, Project: projectName})
		return
	}
	renderPage(w, http.StatusOK, pageData{Title: "Done", Message: done})
}

func (s *Server) handleIndexPage(w http.ResponseWriter, r *http.Request) {
	renderPage(w, http.StatusOK, pageData{
		Title:   "C2C API simulator",
		Message: "The API answers under /v2/, the pairing page is at /pair, the admin API at /_sim/.",
	})
}
