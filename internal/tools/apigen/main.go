// Command apigen generates Nimbus's typed service packages (internal/api/<name>api)
// from AWS's published JSON service models: one Go struct per structure shape
// with `aws` tags (see internal/model), the operation table, the API
// interface with its Unimplemented default, the handler binding, enum values
// and error definitions. Documentation text is dropped.
//
//	go run ./internal/tools/apigen -models DIR -out internal/api [service ...]
//
// DIR is a botocore data directory (DIR/<service>/<version>/service-2.json or
// .json.gz). internal/api/PROVENANCE.md records which models were used.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"io"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Services generated when none are named on the command line.
var defaultServices = []string{"s3", "sqs", "sns", "dynamodb", "dynamodbstreams", "sts"}

func main() {
	models := flag.String("models", "", "botocore data directory")
	out := flag.String("out", "internal/api", "output directory")
	flag.Parse()
	if *models == "" {
		log.Fatal("apigen: -models is required")
	}
	names := flag.Args()
	if len(names) == 0 {
		names = defaultServices
	}
	for _, name := range names {
		m, version, err := loadModel(*models, name)
		if err != nil {
			log.Fatalf("apigen: %s: %v", name, err)
		}
		g := newGenerator(name, m)
		files, err := g.generate()
		if err != nil {
			log.Fatalf("apigen: %s: %v", name, err)
		}
		dir := filepath.Join(*out, g.pkg)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Fatal(err)
		}
		for fname, src := range files {
			if err := os.WriteFile(filepath.Join(dir, fname), src, 0o644); err != nil {
				log.Fatal(err)
			}
		}
		fmt.Printf("%s %s -> %s (%d operations)\n", name, version, dir, len(m.Operations))
	}
}

// Model is the subset of a botocore service model that Nimbus keeps.
type Model struct {
	Metadata   Metadata              `json:"metadata"`
	Operations map[string]*Operation `json:"operations"`
	Shapes     map[string]*Shape     `json:"shapes"`
}

type Metadata struct {
	APIVersion         string          `json:"apiVersion"`
	EndpointPrefix     string          `json:"endpointPrefix"`
	JSONVersion        string          `json:"jsonVersion"`
	Protocol           string          `json:"protocol"`
	Protocols          []string        `json:"protocols"`
	ServiceID          string          `json:"serviceId"`
	SigningName        string          `json:"signingName"`
	TargetPrefix       string          `json:"targetPrefix"`
	XMLNamespace       string          `json:"xmlNamespace"`
	AWSQueryCompatible json.RawMessage `json:"awsQueryCompatible"`
}

type Operation struct {
	Name string `json:"name"`
	HTTP struct {
		Method       string `json:"method"`
		RequestURI   string `json:"requestUri"`
		ResponseCode int    `json:"responseCode"`
	} `json:"http"`
	Input  *ShapeRef   `json:"input"`
	Output *ShapeRef   `json:"output"`
	Errors []*ShapeRef `json:"errors"`
	// Traits.
	HTTPChecksumRequired bool `json:"httpChecksumRequired"`
	HTTPChecksum         *struct {
		RequestChecksumRequired     bool     `json:"requestChecksumRequired"`
		RequestAlgorithmMember      string   `json:"requestAlgorithmMember"`
		RequestValidationModeMember string   `json:"requestValidationModeMember"`
		ResponseAlgorithms          []string `json:"responseAlgorithms"`
	} `json:"httpChecksum"`
	Endpoint *struct {
		HostPrefix string `json:"hostPrefix"`
	} `json:"endpoint"`
}

type ShapeRef struct {
	Shape         string `json:"shape"`
	Location      string `json:"location"`
	LocationName  string `json:"locationName"`
	ResultWrapper string `json:"resultWrapper"`
	Flattened     bool   `json:"flattened"`
	XMLAttribute  bool   `json:"xmlAttribute"`
	XMLNamespace  *struct {
		URI    string `json:"uri"`
		Prefix string `json:"prefix"`
	} `json:"xmlNamespace"`
	QueryName string `json:"queryName"`
	// QueryWire is set by queryCompatPatches, never by a model.
	QueryWire       string `json:"-"`
	JSONValue       bool   `json:"jsonvalue"`
	HostLabel       bool   `json:"hostLabel"`
	Streaming       bool   `json:"streaming"`
	TimestampFormat string `json:"timestampFormat"`
}

type Shape struct {
	Type         string               `json:"type"`
	Members      map[string]*ShapeRef `json:"members"`
	Required     []string             `json:"required"`
	Payload      string               `json:"payload"`
	Member       *ShapeRef            `json:"member"`
	Key          *ShapeRef            `json:"key"`
	Value        *ShapeRef            `json:"value"`
	Flattened    bool                 `json:"flattened"`
	Enum         []string             `json:"enum"`
	Min          *float64             `json:"min"`
	Max          *float64             `json:"max"`
	Streaming    bool                 `json:"streaming"`
	Document     bool                 `json:"document"`
	Union        bool                 `json:"union"`
	Exception    bool                 `json:"exception"`
	Fault        bool                 `json:"fault"`
	LocationName string               `json:"locationName"`
	XMLNamespace *struct {
		URI    string `json:"uri"`
		Prefix string `json:"prefix"`
	} `json:"xmlNamespace"`
	TimestampFormat string `json:"timestampFormat"`
	Error           *struct {
		Code           string `json:"code"`
		HTTPStatusCode int    `json:"httpStatusCode"`
		SenderFault    bool   `json:"senderFault"`
	} `json:"error"`
}

func loadModel(dir, name string) (*Model, string, error) {
	versions, err := os.ReadDir(filepath.Join(dir, name))
	if err != nil {
		return nil, "", err
	}
	var latest string
	for _, v := range versions {
		if v.IsDir() && v.Name() > latest {
			latest = v.Name()
		}
	}
	base := filepath.Join(dir, name, latest, "service-2.json")
	var r io.Reader
	if f, err := os.Open(base); err == nil {
		defer f.Close()
		r = f
	} else {
		f, err := os.Open(base + ".gz")
		if err != nil {
			return nil, "", err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, "", err
		}
		r = zr
	}
	var m Model
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return nil, "", err
	}
	applyQueryCompat(name, &m)
	return &m, latest, nil
}

type generator struct {
	name  string
	pkg   string
	m     *Model
	names map[string]string // shape name -> Go type name
	// aliases maps an operation's Input/Output type name to the shape's
	// type name when the shape could not take the operation's name.
	aliases map[string]string
	used    map[string]bool // shapes reachable from operations
}

func newGenerator(name string, m *Model) *generator {
	pkg := strings.NewReplacer("-", "", "_", "").Replace(name) + "api"
	return &generator{name: name, pkg: pkg, m: m, names: map[string]string{}, aliases: map[string]string{}, used: map[string]bool{}}
}

func (g *generator) opNames() []string {
	var ops []string
	for n := range g.m.Operations {
		ops = append(ops, n)
	}
	sort.Strings(ops)
	return ops
}

func (g *generator) markUsed(shape string) {
	if shape == "" || g.used[shape] {
		return
	}
	s, ok := g.m.Shapes[shape]
	if !ok {
		return
	}
	g.used[shape] = true
	for _, mr := range s.Members {
		g.markUsed(mr.Shape)
	}
	for _, r := range []*ShapeRef{s.Member, s.Key, s.Value} {
		if r != nil {
			g.markUsed(r.Shape)
		}
	}
}

// assignNames gives every structure shape its Go type name. An operation's
// input and output take the names OpInput and OpOutput (as the Go SDK does)
// when the shape is used only there; otherwise the shape keeps its own name
// and OpInput/OpOutput become aliases.
func (g *generator) assignNames() {
	refs := map[string]int{}
	for _, s := range g.m.Shapes {
		for _, mr := range s.Members {
			refs[mr.Shape]++
		}
		for _, r := range []*ShapeRef{s.Member, s.Key, s.Value} {
			if r != nil {
				refs[r.Shape]++
			}
		}
	}
	for _, o := range g.m.Operations {
		if o.Input != nil {
			refs[o.Input.Shape]++
		}
		if o.Output != nil {
			refs[o.Output.Shape]++
		}
		for _, e := range o.Errors {
			refs[e.Shape] += 100 // errors keep their names
		}
	}
	taken := map[string]bool{}
	var shapes []string
	for n := range g.m.Shapes {
		shapes = append(shapes, n)
	}
	sort.Strings(shapes)
	opTypes := map[string]bool{}
	for _, op := range g.opNames() {
		opTypes[op+"Input"] = true
		opTypes[op+"Output"] = true
	}
	// First, operation-owned shapes.
	for _, op := range g.opNames() {
		o := g.m.Operations[op]
		for _, pair := range []struct {
			ref    *ShapeRef
			suffix string
		}{{o.Input, "Input"}, {o.Output, "Output"}} {
			if pair.ref == nil {
				continue
			}
			want := op + pair.suffix
			if refs[pair.ref.Shape] == 1 && g.names[pair.ref.Shape] == "" {
				g.names[pair.ref.Shape] = want
				taken[want] = true
			}
		}
	}
	for _, n := range shapes {
		if g.m.Shapes[n].Type != "structure" || g.names[n] != "" {
			continue
		}
		goName := exported(n)
		for taken[goName] || opTypes[goName] || reserved[goName] {
			goName += "_"
		}
		g.names[n] = goName
		taken[goName] = true
	}
	for _, op := range g.opNames() {
		o := g.m.Operations[op]
		for _, pair := range []struct {
			ref    *ShapeRef
			suffix string
		}{{o.Input, "Input"}, {o.Output, "Output"}} {
			want := op + pair.suffix
			if pair.ref != nil && g.names[pair.ref.Shape] != want {
				g.aliases[want] = g.names[pair.ref.Shape]
			}
		}
	}
}

// reserved are the names the generated package itself declares.
var reserved = map[string]bool{"Service": true, "API": true, "Unimplemented": true, "Handlers": true}

func exported(s string) string {
	var b strings.Builder
	upper := true
	for _, r := range s {
		if r == '_' || r == '-' || r == '.' || r == ' ' {
			upper = true
			continue
		}
		if upper {
			b.WriteRune(unicode.ToUpper(r))
			upper = false
		} else {
			b.WriteRune(r)
		}
	}
	out := b.String()
	if out == "" || !unicode.IsLetter(rune(out[0])) {
		out = "X" + out
	}
	return out
}

func (g *generator) generate() (map[string][]byte, error) {
	for _, o := range g.m.Operations {
		if o.Input != nil {
			g.markUsed(o.Input.Shape)
		}
		if o.Output != nil {
			g.markUsed(o.Output.Shape)
		}
		for _, e := range o.Errors {
			g.markUsed(e.Shape)
		}
	}
	for n, s := range g.m.Shapes {
		if s.Exception {
			g.markUsed(n)
		}
	}
	g.assignNames()
	files := map[string][]byte{}
	for fname, fn := range map[string]func(*bytes.Buffer) error{
		"api.go":    g.genAPI,
		"types.go":  g.genTypes,
		"errors.go": g.genErrors,
	} {
		var b bytes.Buffer
		fmt.Fprintf(&b, "// Code generated by apigen from the %s service model. DO NOT EDIT.\n\n", g.name)
		if err := fn(&b); err != nil {
			return nil, err
		}
		src, err := format.Source(b.Bytes())
		if err != nil {
			return nil, fmt.Errorf("%s: %v\n%s", fname, err, b.String())
		}
		files[fname] = src
	}
	return files, nil
}

func (g *generator) genAPI(b *bytes.Buffer) error {
	md := g.m.Metadata
	fmt.Fprintf(b, "// Package %s holds the typed operations of %s (API %s).\npackage %s\n\n", g.pkg, md.ServiceID, md.APIVersion, g.pkg)
	b.WriteString("import (\n\"context\"\n\"reflect\"\n\n\"github.com/nimbus-cloud/nimbus/internal/aws/awserr\"\n\"github.com/nimbus-cloud/nimbus/internal/model\"\n)\n\n")
	signing := md.SigningName
	if signing == "" {
		signing = md.EndpointPrefix
	}
	protocols := md.Protocols
	if len(protocols) == 0 {
		protocols = []string{md.Protocol}
	}
	fmt.Fprintf(b, "// Service describes %s.\nvar Service = (&model.Service{\n", md.ServiceID)
	fmt.Fprintf(b, "Name: %q, ID: %q, APIVersion: %q, Protocol: %q, Protocols: %#v,\n", g.name, md.ServiceID, md.APIVersion, md.Protocol, protocols)
	fmt.Fprintf(b, "SigningName: %q, EndpointPrefix: %q, TargetPrefix: %q, JSONVersion: %q, XMLNamespace: %q, QueryCompatible: %v,\n",
		signing, md.EndpointPrefix, md.TargetPrefix, md.JSONVersion, md.XMLNamespace, len(md.AWSQueryCompatible) > 0)
	b.WriteString("Operations: []*model.Operation{\n")
	for _, op := range g.opNames() {
		o := g.m.Operations[op]
		fmt.Fprintf(b, "{Name: %q, Method: %q, RequestURI: %q", op, o.HTTP.Method, o.HTTP.RequestURI)
		if o.HTTP.ResponseCode != 0 {
			fmt.Fprintf(b, ", ResponseCode: %d", o.HTTP.ResponseCode)
		}
		if o.Endpoint != nil && o.Endpoint.HostPrefix != "" {
			fmt.Fprintf(b, ", HostPrefix: %q", o.Endpoint.HostPrefix)
		}
		fmt.Fprintf(b, ", Input: reflect.TypeFor[%sInput](), Output: reflect.TypeFor[%sOutput]()", op, op)
		if o.Output != nil && o.Output.ResultWrapper != "" {
			fmt.Fprintf(b, ", ResultWrapper: %q", o.Output.ResultWrapper)
		}
		if len(o.Errors) > 0 {
			var codes []string
			for _, e := range o.Errors {
				codes = append(codes, g.errorCode(e.Shape))
			}
			fmt.Fprintf(b, ", Errors: %#v", codes)
		}
		if o.HTTPChecksumRequired {
			b.WriteString(", ChecksumRequired: true")
		}
		if c := o.HTTPChecksum; c != nil {
			if c.RequestChecksumRequired {
				b.WriteString(", ChecksumRequired: true")
			}
			if c.RequestAlgorithmMember != "" {
				fmt.Fprintf(b, ", RequestAlgorithmMember: %q", c.RequestAlgorithmMember)
			}
			if c.RequestValidationModeMember != "" {
				fmt.Fprintf(b, ", ResponseChecksumModeMember: %q", c.RequestValidationModeMember)
			}
			if len(c.ResponseAlgorithms) > 0 {
				fmt.Fprintf(b, ", ResponseAlgorithms: %#v", c.ResponseAlgorithms)
			}
		}
		b.WriteString("},\n")
	}
	b.WriteString("},\nEnums: enums,\nErrors: errorShapes,\n}).Init()\n\n")

	// API interface.
	fmt.Fprintf(b, "// API is the set of %s operations a service implements.\ntype API interface {\n", md.ServiceID)
	for _, op := range g.opNames() {
		fmt.Fprintf(b, "%s(ctx context.Context, in *%sInput) (*%sOutput, error)\n", op, op, op)
	}
	b.WriteString("}\n\n")
	b.WriteString("// Unimplemented answers every operation with NotImplemented. Embed it in a\n// service so that operations not written yet fail cleanly.\ntype Unimplemented struct{}\n\n")
	for _, op := range g.opNames() {
		fmt.Fprintf(b, "func (Unimplemented) %s(context.Context, *%sInput) (*%sOutput, error) { return nil, notImplemented(%q) }\n", op, op, op, op)
	}
	b.WriteString("\nfunc notImplemented(op string) error {\nreturn awserr.NotImplemented.New(\"The operation \" + op + \" is not implemented by Nimbus.\")\n}\n\n")
	b.WriteString("// Handlers binds the operations of impl to their names.\nfunc Handlers(impl API) map[string]model.Handler {\nreturn map[string]model.Handler{\n")
	for _, op := range g.opNames() {
		fmt.Fprintf(b, "%q: func(ctx context.Context, in any) (any, error) {\nout, err := impl.%s(ctx, in.(*%sInput))\nif out == nil {\nreturn nil, err\n}\nreturn out, err\n},\n", op, op, op)
	}
	b.WriteString("}\n}\n")
	return nil
}

func (g *generator) errorCode(shape string) string {
	s := g.m.Shapes[shape]
	if s != nil && s.Error != nil && s.Error.Code != "" && len(g.m.Metadata.AWSQueryCompatible) == 0 {
		return s.Error.Code
	}
	return shape
}

func (g *generator) genErrors(b *bytes.Buffer) error {
	fmt.Fprintf(b, "package %s\n\nimport (\n\"reflect\"\n\n\"github.com/nimbus-cloud/nimbus/internal/aws/awserr\"\n\"github.com/nimbus-cloud/nimbus/internal/model\"\n)\n\n", g.pkg)
	var errs []string
	for n, s := range g.m.Shapes {
		if s.Exception && g.used[n] {
			errs = append(errs, n)
		}
	}
	sort.Strings(errs)
	b.WriteString("// Errors of the service model.\nvar (\n")
	for _, n := range errs {
		s := g.m.Shapes[n]
		status, sender, queryCode := 400, !s.Fault, ""
		if s.Error != nil {
			if s.Error.HTTPStatusCode != 0 {
				status = s.Error.HTTPStatusCode
			}
			sender = s.Error.SenderFault || !s.Fault
			if len(g.m.Metadata.AWSQueryCompatible) > 0 && s.Error.Code != "" && s.Error.Code != n {
				queryCode = s.Error.Code
			}
		} else if s.Fault {
			status = 500
		}
		fmt.Fprintf(b, "Err%s = awserr.Def{Code: %q, Status: %d, Sender: %v", exported(n), g.errorCode(n), status, sender)
		if queryCode != "" {
			fmt.Fprintf(b, ", QueryCode: %q", queryCode)
		}
		b.WriteString("}\n")
	}
	b.WriteString(")\n\nvar errorShapes = map[string]model.ErrorShape{\n")
	for _, n := range errs {
		fmt.Fprintf(b, "Err%s.Code: {Code: Err%s.Code, Status: Err%s.Status, Sender: Err%s.Sender, QueryCode: Err%s.QueryCode, Type: reflect.TypeFor[%s]()},\n",
			exported(n), exported(n), exported(n), exported(n), exported(n), g.names[n])
	}
	b.WriteString("}\n\n")
	// Enums.
	var enums []string
	for n, s := range g.m.Shapes {
		if len(s.Enum) > 0 && g.used[n] {
			enums = append(enums, n)
		}
	}
	sort.Strings(enums)
	b.WriteString("var enums = map[string][]string{\n")
	for _, n := range enums {
		fmt.Fprintf(b, "%q: %#v,\n", n, g.m.Shapes[n].Enum)
	}
	b.WriteString("}\n")
	return nil
}

func (g *generator) genTypes(b *bytes.Buffer) error {
	fmt.Fprintf(b, "package %s\n\nimport (\n\"io\"\n\"time\"\n)\n\nvar (\n_ io.Reader\n_ time.Time\n)\n\n", g.pkg)
	// Empty inputs and outputs for operations that have none.
	for _, op := range g.opNames() {
		o := g.m.Operations[op]
		if o.Input == nil {
			fmt.Fprintf(b, "// %sInput is empty: the operation takes no input.\ntype %sInput struct{}\n\n", op, op)
		}
		if o.Output == nil {
			fmt.Fprintf(b, "// %sOutput is empty: the operation returns no output.\ntype %sOutput struct{}\n\n", op, op)
		}
	}
	var aliases []string
	for a := range g.aliases {
		aliases = append(aliases, a)
	}
	sort.Strings(aliases)
	for _, a := range aliases {
		fmt.Fprintf(b, "type %s = %s\n", a, g.aliases[a])
	}
	b.WriteString("\n")
	var shapes []string
	for n, s := range g.m.Shapes {
		if s.Type == "structure" && !s.Document && g.used[n] {
			shapes = append(shapes, n)
		}
	}
	sort.Slice(shapes, func(i, j int) bool { return g.names[shapes[i]] < g.names[shapes[j]] })
	for _, n := range shapes {
		if err := g.genStruct(b, n, g.m.Shapes[n]); err != nil {
			return err
		}
	}
	return nil
}

func (g *generator) genStruct(b *bytes.Buffer, name string, s *Shape) error {
	fmt.Fprintf(b, "type %s struct {\n", g.names[name])
	var structTag []string
	if root := xmlRootPatches[g.name][name]; root != "" {
		structTag = append(structTag, "xmlname="+root)
	} else if s.LocationName != "" {
		structTag = append(structTag, "xmlname="+s.LocationName)
	}
	if s.XMLNamespace != nil && s.XMLNamespace.URI != "" {
		structTag = append(structTag, "xmlns="+s.XMLNamespace.URI)
		if s.XMLNamespace.Prefix != "" {
			structTag = append(structTag, "xmlnsprefix="+s.XMLNamespace.Prefix)
		}
	}
	if s.Union {
		structTag = append(structTag, "union")
	}
	if s.Exception {
		structTag = append(structTag, "error="+g.errorCode(name))
	}
	if len(structTag) > 0 {
		fmt.Fprintf(b, "_ struct{} `aws:%q`\n", strings.Join(structTag, ","))
	}
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	var members []string
	for m := range s.Members {
		members = append(members, m)
	}
	sort.Strings(members)
	goNames := map[string]bool{}
	for _, m := range members {
		ref := s.Members[m]
		target := g.m.Shapes[ref.Shape]
		if target == nil {
			return fmt.Errorf("%s.%s: unknown shape %s", name, m, ref.Shape)
		}
		goName := exported(m)
		for goNames[goName] {
			goName += "_"
		}
		goNames[goName] = true
		goType := g.goType(ref.Shape, true)
		streaming := (target.Streaming || ref.Streaming) && target.Type == "blob" && s.Payload == m
		if streaming {
			goType = "io.Reader"
		}
		tag := g.memberTag(m, goName, ref, target, required[m], s.Payload == m, streaming)
		if tag == "" {
			fmt.Fprintf(b, "%s %s\n", goName, goType)
		} else {
			fmt.Fprintf(b, "%s %s `aws:%q`\n", goName, goType, tag)
		}
	}
	b.WriteString("}\n\n")
	return nil
}

func (g *generator) memberTag(member, goName string, ref *ShapeRef, target *Shape, required, payload, streaming bool) string {
	var t []string
	name := member
	if ref.LocationName != "" {
		name = ref.LocationName
	}
	flat := ref.Flattened || target.Flattened
	// A flattened list whose member has its own name is serialised under
	// the member's name (the rule botocore's XML and query serializers use).
	if flat && target.Type == "list" && target.Member != nil && target.Member.LocationName != "" {
		name = target.Member.LocationName
	}
	if name != goName {
		t = append(t, "name="+name)
	}
	if ref.Location != "" {
		t = append(t, "loc="+ref.Location)
	}
	if payload {
		t = append(t, "payload")
	}
	if streaming {
		t = append(t, "streaming")
	}
	if required {
		t = append(t, "required")
	}
	if target.Min != nil {
		t = append(t, "min="+strconv.FormatInt(int64(*target.Min), 10))
	}
	if target.Max != nil && *target.Max < 1<<62 {
		t = append(t, "max="+strconv.FormatInt(int64(*target.Max), 10))
	}
	if len(target.Enum) > 0 {
		t = append(t, "enum="+ref.Shape)
	}
	if flat {
		t = append(t, "flat")
	}
	if target.Type == "list" && target.Member != nil && target.Member.LocationName != "" && !flat {
		t = append(t, "member="+target.Member.LocationName)
	}
	if target.Type == "map" {
		if target.Key != nil && target.Key.LocationName != "" {
			t = append(t, "key="+target.Key.LocationName)
		}
		if target.Value != nil && target.Value.LocationName != "" {
			t = append(t, "value="+target.Value.LocationName)
		}
	}
	if ref.XMLAttribute {
		t = append(t, "attr")
	}
	if ref.XMLNamespace != nil {
		if ref.XMLNamespace.URI != "" {
			t = append(t, "xmlns="+ref.XMLNamespace.URI)
		}
		if ref.XMLNamespace.Prefix != "" {
			t = append(t, "xmlnsprefix="+ref.XMLNamespace.Prefix)
		}
	}
	ts := ref.TimestampFormat
	if ts == "" {
		ts = target.TimestampFormat
	}
	if ts != "" {
		t = append(t, "ts="+ts)
	}
	if ref.JSONValue {
		t = append(t, "jsonvalue")
	}
	if ref.HostLabel {
		t = append(t, "hostlabel")
	}
	if ref.QueryName != "" {
		t = append(t, "qname="+ref.QueryName)
	}
	if ref.QueryWire != "" && ref.QueryWire != name {
		t = append(t, "qwire="+ref.QueryWire)
	}
	return strings.Join(t, ",")
}

// goType is the Go type of a shape; member reports whether it is used as a
// structure member (scalars and structures are pointers there).
func (g *generator) goType(shape string, member bool) string {
	s := g.m.Shapes[shape]
	ptr := ""
	if member {
		ptr = "*"
	}
	switch s.Type {
	case "string", "bigdecimal", "biginteger":
		return ptr + "string"
	case "integer":
		return ptr + "int32"
	case "long":
		return ptr + "int64"
	case "boolean":
		return ptr + "bool"
	case "float":
		return ptr + "float32"
	case "double":
		return ptr + "float64"
	case "timestamp":
		return ptr + "time.Time"
	case "blob":
		return "[]byte"
	case "list":
		return "[]" + g.goType(s.Member.Shape, false)
	case "map":
		return "map[string]" + g.goType(s.Value.Shape, false)
	case "structure":
		if s.Document {
			return "any"
		}
		return ptr + g.names[shape]
	}
	return "any"
}
