// Package api holds the typed operations of every service Nimbus speaks,
// generated from AWS's service models by internal/tools/apigen. The generated
// packages are committed, so a plain go build needs no generator step. See
// PROVENANCE.md for the models used.
package api

//go:generate go run ../tools/apigen -models ${NIMBUS_MODELS} -out .
