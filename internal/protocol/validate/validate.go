// Package validate checks a decoded input struct against the constraints of
// its model (required members, length and value bounds, enums) and reports
// the problems in the words AWS uses:
//
//	2 validation errors detected: Value 'x' at 'tableName' failed to satisfy
//	constraint: Member must have length greater than or equal to 3; Value null
//	at 'keySchema' failed to satisfy constraint: Member must not be null
//
// Paths name members with a lower-case first letter, nest with dots, and name
// list elements and map values as 'items.1.member' and 'items.key.member'.
// The checks of each Go type are worked out once; a type without constraints
// anywhere below it costs a cache lookup.
package validate

import (
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/model"
)

// Input validates in (a pointer to an input struct) for svc, answering in
// the error code of svc's default protocol. It returns nil or an *awserr.Error.
func Input(svc *model.Service, in any) error {
	return InputAs(svc, svc.Protocol, in)
}

// InputAs is Input for a request that arrived in the given protocol, for
// services that speak more than one (SQS: json and query).
func InputAs(svc *model.Service, protocol string, in any) error {
	problems := Check(svc, in)
	if len(problems) == 0 {
		return nil
	}
	return ErrorFor(svc, protocol, problems)
}

// Problem is one failed constraint.
type Problem struct {
	Path       string // e.g. "keySchema.1.member.attributeName"
	Value      string // the value as AWS prints it, without quotes
	Null       bool   // the value is missing ("Value null at ...")
	Constraint string // e.g. "Member must not be null"
}

func (p Problem) String() string {
	if p.Null {
		return "Value null at '" + p.Path + "' failed to satisfy constraint: " + p.Constraint
	}
	return "Value '" + p.Value + "' at '" + p.Path + "' failed to satisfy constraint: " + p.Constraint
}

// Message joins problems into AWS's message text.
func Message(problems []Problem) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(problems)))
	if len(problems) == 1 {
		b.WriteString(" validation error detected: ")
	} else {
		b.WriteString(" validation errors detected: ")
	}
	for i, p := range problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// validationErrorDefs holds the error each protocol family answers a failed
// validation with. JSON-based protocols say ValidationException, query
// services ValidationError; the REST-XML services each have their own word.
var (
	validationError = awserr.Def{Code: "ValidationError", Status: 400, Sender: true}
	s3InvalidArg    = awserr.Def{Code: "InvalidArgument", Status: 400, Sender: true}
	route53Invalid  = awserr.Def{Code: "InvalidInput", Status: 400, Sender: true}
	ec2InvalidParam = awserr.Def{Code: "InvalidParameterValue", Status: 400, Sender: true}
)

// restXMLCodes is the quirk table of REST-XML services, keyed by model name.
var restXMLCodes = map[string]awserr.Def{
	"s3":         s3InvalidArg,
	"s3control":  s3InvalidArg,
	"cloudfront": s3InvalidArg,
	"route53":    route53Invalid,
}

// sqsMissingParameter is SQS's answer to a missing required parameter in
// both of its protocols (JSON code, query code).
var sqsMissingParameter = awserr.Def{Code: "MissingRequiredParameterException", Status: 400, Sender: true, QueryCode: "MissingParameter"}

// ErrorFor builds the error a service sends for problems in a protocol.
func ErrorFor(svc *model.Service, protocol string, problems []Problem) *awserr.Error {
	if svc.Name == "sqs" && problems[0].Null {
		return sqsMissingParameter.New("The request must contain the parameter " + parameterName(problems[0].Path) + ".")
	}
	def := awserr.ValidationException
	switch protocol {
	case "query":
		def = validationError
	case "ec2":
		def = ec2InvalidParam
	case "rest-xml":
		if d, ok := restXMLCodes[svc.Name]; ok {
			def = d
		} else {
			def = validationError
		}
	}
	return def.New(Message(problems))
}

// parameterName is the member a path ends with, as the model spells it
// (SQS's members all start with a capital).
func parameterName(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		path = path[i+1:]
	}
	if path == "" {
		return path
	}
	return strings.ToUpper(path[:1]) + path[1:]
}

// Check returns the problems of in (a pointer to a struct, or a struct), in
// member order; nil when there are none.
func Check(svc *model.Service, in any) []Problem {
	v := reflect.ValueOf(in)
	if !v.IsValid() {
		return nil
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	sp := planOf(v.Type())
	if !sp.needs {
		return nil
	}
	c := checker{svc: svc, path: make([]segment, 0, 8)}
	c.checkStruct(v, sp)
	return c.problems
}

// checker walks one input. The path of the value in hand is kept as a stack
// of segments and only spelled out when a problem is found, so a valid input
// allocates nothing for paths.
type checker struct {
	svc      *model.Service
	problems []Problem
	path     []segment
}

// segment is one step of a path: a member name, a list index (shown as
// "N.member") or a map key (shown as "key.member").
type segment struct {
	name  string
	index int // list position, 1-based; 0 for members and map keys
	entry bool
}

func (c *checker) pathString() string {
	var b strings.Builder
	for i, s := range c.path {
		if i > 0 {
			b.WriteByte('.')
		}
		switch {
		case s.index > 0:
			b.WriteString(strconv.Itoa(s.index))
			b.WriteString(".member")
		case s.entry:
			b.WriteString(s.name)
			b.WriteString(".member")
		default:
			b.WriteString(s.name)
		}
	}
	return b.String()
}

func (c *checker) add(null bool, value, constraint string) {
	c.problems = append(c.problems, Problem{Path: c.pathString(), Null: null, Value: value, Constraint: constraint})
}

func (c *checker) push(s segment) { c.path = append(c.path, s) }
func (c *checker) pop()           { c.path = c.path[:len(c.path)-1] }

func (c *checker) checkStruct(v reflect.Value, sp *structPlan) {
	for i := range sp.fields {
		fp := &sp.fields[i]
		fv := v.Field(fp.f.Index)
		c.push(segment{name: fp.path})
		if isNil(fv) {
			if fp.f.Required {
				c.add(true, "", "Member must not be null")
			}
		} else {
			if fp.constrained {
				c.checkConstraints(fv, fp)
			}
			if fp.value.needs() {
				c.checkValue(fv, fp.value)
			}
		}
		c.pop()
	}
}

// checkValue descends into the structures below a set value.
func (c *checker) checkValue(v reflect.Value, vp *valuePlan) {
	switch vp.kind {
	case kindStruct:
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return
			}
			v = v.Elem()
		}
		c.checkStruct(v, vp.strct)
	case kindList:
		for i := 0; i < v.Len(); i++ {
			c.push(segment{index: i + 1})
			c.checkValue(v.Index(i), vp.elem)
			c.pop()
		}
	case kindMap:
		it := v.MapRange()
		for it.Next() {
			c.push(segment{name: it.Key().String(), entry: true})
			c.checkValue(it.Value(), vp.elem)
			c.pop()
		}
	}
}

func (c *checker) checkConstraints(v reflect.Value, fp *fieldPlan) {
	f := fp.f
	switch fp.value.kind {
	case kindString:
		s := v.Elem().String()
		if f.Enum != "" {
			if allowed, ok := c.svc.Enums[f.Enum]; ok && !contains(allowed, s) {
				c.add(false, s, "Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
			}
		}
		c.checkLength(s, int64(utf8.RuneCountInString(s)), f)
	case kindBytes:
		n := int64(v.Len())
		if (f.HasMin && n < f.Min) || (f.HasMax && n > f.Max) {
			c.checkLength("java.nio.HeapByteBuffer[pos=0 lim="+strconv.FormatInt(n, 10)+" cap="+strconv.FormatInt(n, 10)+"]", n, f)
		}
	case kindList, kindMap:
		n := int64(v.Len())
		if (f.HasMin && n < f.Min) || (f.HasMax && n > f.Max) {
			c.checkLength(render(v, 0), n, f)
		}
	case kindInt:
		n := v.Elem().Int()
		if f.HasMin && n < f.Min {
			c.add(false, strconv.FormatInt(n, 10), "Member must have value greater than or equal to "+strconv.FormatInt(f.Min, 10))
		}
		if f.HasMax && n > f.Max {
			c.add(false, strconv.FormatInt(n, 10), "Member must have value less than or equal to "+strconv.FormatInt(f.Max, 10))
		}
	case kindFloat:
		x := v.Elem().Float()
		if f.HasMin && x < float64(f.Min) {
			c.add(false, formatFloat(x), "Member must have value greater than or equal to "+strconv.FormatInt(f.Min, 10))
		}
		if f.HasMax && x > float64(f.Max) {
			c.add(false, formatFloat(x), "Member must have value less than or equal to "+strconv.FormatInt(f.Max, 10))
		}
	}
}

func (c *checker) checkLength(shown string, n int64, f *model.Field) {
	if f.HasMin && n < f.Min {
		c.add(false, shown, "Member must have length greater than or equal to "+strconv.FormatInt(f.Min, 10))
	}
	if f.HasMax && n > f.Max {
		c.add(false, shown, "Member must have length less than or equal to "+strconv.FormatInt(f.Max, 10))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isNil(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// formatFloat prints a double the way the AWS services (Java) print one:
// always with a fractional part.
func formatFloat(x float64) string {
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eEIN") {
		s += ".0"
	}
	return s
}
