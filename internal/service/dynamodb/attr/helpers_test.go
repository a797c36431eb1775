package attr

func sv(s string) Value  { return Value{S: &s} }
func nv(s string) Value  { return Value{N: &s} }
func bv(b ...byte) Value { return Value{B: append([]byte{}, b...)} }
func boolv(b bool) Value { return Value{BOOL: &b} }
func nullv() Value       { t := true; return Value{NULL: &t} }
