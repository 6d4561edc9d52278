// Package docscheck holds the tests that keep the repository's documentation whole: code
// comments cite only documents that are in the repository (and sections of them that
// exist), and every test docs/error-policy.md and docs/api-notes.md name as proof exists.
// It has no code of its own.
package docscheck
