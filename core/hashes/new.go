//go:build !bench_nohash

package hashes

import "hash"

// New returns a hasher of the format; nil for a format this package does not know.
func (f Format) New() hash.Hash { return f.hasher() }
