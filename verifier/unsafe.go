package verifier

import "unsafe"

// unsafeString views bytes as a string without copying; the bytes must
// never change afterwards.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// unsafeBytes views a string as bytes without copying, for functions that
// only read their input (hashes, decoders); the bytes must never be
// written.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
