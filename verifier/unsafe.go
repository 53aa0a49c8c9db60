package verifier

import "unsafe"

// unsafeString views bytes as a string without copying; the bytes must
// never change afterwards.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
