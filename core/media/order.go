package media

import (
	"fmt"
	"slices"
	"strings"

	"github.com/c2c-uploader/c2c-uploader/core/format"
)

// Order is the order in which categories go: every category once. The zero Order is the
// default (DefaultOrder), so a setting nobody changed needs no value.
type Order [len(Categories)]Category

// DefaultOrder: sound, proxies, sidecars, stills, originals, other — what dailies need
// first, then what is large.
func DefaultOrder() Order { return Order(Categories) }

// Rank is c's place in o (0 first); an unknown category goes last.
func (o Order) Rank(c Category) int {
	if o[0] == "" { // the zero Order: the default
		o = Order(Categories)
	}
	for i, x := range o {
		if x == c {
			return i
		}
	}
	return len(o)
}

// String is o as ParseOrder reads it: "sound,proxies,sidecars,stills,originals,other".
func (o Order) String() string {
	if o == (Order{}) {
		o = DefaultOrder()
	}
	return Join(o[:])
}

// ParseOrder reads categories separated by commas, first first; those not named follow
// in the default order ("sound,originals" puts originals second). The error says what
// is wrong in words that follow "order cannot be …".
func ParseOrder(s string) (Order, error) {
	named, err := ParseList(s)
	if err != nil {
		return Order{}, err
	}
	if len(named) == 0 {
		return Order{}, fmt.Errorf("name the categories in the order they go, like %s", DefaultOrder())
	}
	var o Order
	i := copy(o[:], named)
	for _, c := range Categories {
		if !contains(named, c) {
			o[i] = c
			i++
		}
	}
	if o == DefaultOrder() {
		return Order{}, nil
	}
	return o, nil
}

// ParseList reads categories separated by commas ("sound,proxies"), each once, each by
// its name or its singular ("proxy"). An empty string is an empty list.
func ParseList(s string) ([]Category, error) {
	var out []Category
	for _, word := range splitList(s) {
		word = strings.ToLower(word)
		c, ok := categoryNamed(word)
		if !ok {
			if near := format.Nearest(word, Names()); near != "" {
				return nil, fmt.Errorf("no category is called %q; did you mean %s?", word, near)
			}
			return nil, fmt.Errorf("no category is called %q; they are %s", word, strings.Join(Names(), ", "))
		}
		if contains(out, c) {
			return nil, fmt.Errorf("%s is named twice", c)
		}
		out = append(out, c)
	}
	return out, nil
}

// categoryNamed is the category a person means by word: its name, its singular, or
// "metadata" for sidecars.
func categoryNamed(word string) (Category, bool) {
	for _, c := range Categories {
		if word == string(c) || word == strings.ToLower(c.Label()) {
			return c, true
		}
	}
	switch word {
	case "metadata":
		return Sidecars, true
	case "audio":
		return Sound, true
	}
	return "", false
}

// Names are every category's name, in the default order.
func Names() []string { return names(Categories[:]) }

// Join writes categories as ParseList reads them: "sound,proxies".
func Join(cs []Category) string { return strings.Join(names(cs), ",") }

func names(cs []Category) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

// splitList is the items of a list separated by commas, trimmed, the empty ones left out.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func contains(list []Category, c Category) bool { return slices.Contains(list, c) }
