package xmlcodec

import (
	"encoding/xml"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Hand-written shapes with the tags of the generated S3 and SNS types.

type listObjectsV2Output struct {
	_                     struct{}       `aws:"xmlname=ListBucketResult"`
	CommonPrefixes        []commonPrefix `aws:"flat"`
	Contents              []object       `aws:"flat"`
	ContinuationToken     *string
	Delimiter             *string
	IsTruncated           *bool
	KeyCount              *int32
	MaxKeys               *int32
	Name                  *string
	NextContinuationToken *string
	Prefix                *string
	RequestCharged        *string `aws:"name=x-amz-request-charged,loc=header"`
}

type commonPrefix struct {
	Prefix *string
}

type object struct {
	ChecksumAlgorithm []string `aws:"flat"`
	ETag              *string
	Key               *string
	LastModified      *time.Time
	Owner             *owner
	Size              *int64
	StorageClass      *string
}

type owner struct {
	DisplayName *string
	ID          *string
}

type createBucketConfiguration struct {
	Bucket             *bucketInfo
	Location           *locationInfo
	LocationConstraint *string
	Tags               []tag `aws:"member=Tag"`
}

type bucketInfo struct {
	DataRedundancy *string
	Type           *string
}

type locationInfo struct {
	Name *string
	Type *string
}

type tag struct {
	Key   *string `aws:"required"`
	Value *string `aws:"required"`
}

type deleteRequest struct {
	Objects []objectIdentifier `aws:"name=Object,required,flat"`
	Quiet   *bool
}

type objectIdentifier struct {
	ETag      *string
	Key       *string `aws:"required,min=1"`
	VersionID *string `aws:"name=VersionId"`
}

type accessControlPolicy struct {
	Grants []grant `aws:"name=AccessControlList,member=Grant"`
	Owner  *owner
}

type grant struct {
	Grantee    *grantee
	Permission *string
}

type grantee struct {
	_            struct{} `aws:"xmlns=http://www.w3.org/2001/XMLSchema-instance,xmlnsprefix=xsi"`
	DisplayName  *string
	EmailAddress *string
	ID           *string
	Type         *string `aws:"name=xsi:type,required,attr"`
	URI          *string
}

type mapsAndScalars struct {
	Attributes map[string]string          `aws:"key=Name,value=Value"`
	Flat       map[string]string          `aws:"name=Entry,flat"`
	Nested     map[string]attributeValue  `aws:"key=Name,value=Value"`
	Lists      map[string][]string        `aws:"name=ListMap"`
	Floats     []float64                  `aws:"member=F"`
	Blob       []byte                     `aws:"name=Blob"`
	Stamp      *time.Time                 `aws:"ts=rfc822"`
	Epoch      *time.Time                 `aws:"ts=unixTimestamp"`
	Iso        *time.Time                 `aws:"name=Iso"`
	Empty      *string                    `aws:"name=Empty"`
	EmptyList  []string                   `aws:"name=EmptyList"`
	Plain      string                     `aws:"name=Plain"`
	Count      int32                      `aws:"name=Count"`
	Document   any                        `aws:"name=Document"`
	Unsigned   *uint64                    `aws:"name=Unsigned"`
	Pointers   []*owner                   `aws:"name=Pointers"`
	Deep       map[string]map[string]bool `aws:"name=Deep"`
}

type attributeValue struct {
	BinaryValue []byte
	DataType    *string
	StringValue *string
}

func ptr[T any](v T) *T { return &v }

func TestRoundTrip(t *testing.T) {
	lm := time.Date(2024, 3, 1, 12, 30, 45, 123e6, time.UTC)
	for name, tc := range map[string]struct {
		root string
		ns   string
		in   any
		want string // the encoded document
	}{
		"ListObjectsV2 page": {
			root: "ListBucketResult", ns: "http://s3.amazonaws.com/doc/2006-03-01/",
			in: &listObjectsV2Output{
				CommonPrefixes: []commonPrefix{{Prefix: ptr("photos/")}},
				Contents: []object{
					{ChecksumAlgorithm: []string{"CRC32"}, ETag: ptr(`"9b2cf535f27731c974343645a3985328"`), Key: ptr("a&b <c>.txt"),
						LastModified: &lm, Owner: &owner{ID: ptr("abc")}, Size: ptr(int64(434234)), StorageClass: ptr("STANDARD")},
					{Key: ptr("z"), Size: ptr(int64(0))},
				},
				IsTruncated: ptr(false), KeyCount: ptr(int32(2)), MaxKeys: ptr(int32(1000)), Name: ptr("bucket"), Prefix: ptr(""),
				RequestCharged: ptr("requester"),
			},
			want: `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
				`<CommonPrefixes><Prefix>photos/</Prefix></CommonPrefixes>` +
				`<Contents><ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>` +
				`<Key>a&amp;b &lt;c&gt;.txt</Key><LastModified>2024-03-01T12:30:45.123Z</LastModified><Owner><ID>abc</ID></Owner>` +
				`<Size>434234</Size><StorageClass>STANDARD</StorageClass></Contents>` +
				`<Contents><Key>z</Key><Size>0</Size></Contents>` +
				`<IsTruncated>false</IsTruncated><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><Name>bucket</Name><Prefix></Prefix>` +
				`</ListBucketResult>`,
		},
		"CreateBucketConfiguration": {
			root: "CreateBucketConfiguration", ns: "http://s3.amazonaws.com/doc/2006-03-01/",
			in: &createBucketConfiguration{
				LocationConstraint: ptr("eu-west-1"),
				Tags:               []tag{{Key: ptr("team"), Value: ptr("data")}},
			},
			want: `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
				`<LocationConstraint>eu-west-1</LocationConstraint><Tags><Tag><Key>team</Key><Value>data</Value></Tag></Tags>` +
				`</CreateBucketConfiguration>`,
		},
		"DeleteObjects request": {
			root: "Delete",
			in: &deleteRequest{
				Objects: []objectIdentifier{{Key: ptr("a")}, {Key: ptr("b/c"), VersionID: ptr("v1")}},
				Quiet:   ptr(true),
			},
			want: `<Delete><Object><Key>a</Key></Object><Object><Key>b/c</Key><VersionId>v1</VersionId></Object><Quiet>true</Quiet></Delete>`,
		},
		"AccessControlPolicy with xsi:type": {
			root: "AccessControlPolicy", ns: "http://s3.amazonaws.com/doc/2006-03-01/",
			in: &accessControlPolicy{
				Grants: []grant{
					{Grantee: &grantee{ID: ptr("abc"), Type: ptr("CanonicalUser")}, Permission: ptr("FULL_CONTROL")},
					{Grantee: &grantee{Type: ptr("Group"), URI: ptr("http://acs.amazonaws.com/groups/global/AllUsers")}, Permission: ptr("READ")},
				},
				Owner: &owner{DisplayName: ptr("me"), ID: ptr("abc")},
			},
			want: `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><AccessControlList>` +
				`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>abc</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
				`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>` +
				`</AccessControlList><Owner><DisplayName>me</DisplayName><ID>abc</ID></Owner></AccessControlPolicy>`,
		},
		"maps, lists and scalar forms": {
			root: "R",
			in: &mapsAndScalars{
				Attributes: map[string]string{"b": "2", "a": "1"},
				Flat:       map[string]string{"k": "v"},
				Nested:     map[string]attributeValue{"n": {DataType: ptr("Binary"), BinaryValue: []byte{0, 1, 2}}},
				Lists:      map[string][]string{"l": {"x", "y"}},
				Floats:     []float64{1.5, math.Inf(1), math.NaN()},
				Blob:       []byte("hi"),
				Stamp:      &lm,
				Epoch:      &lm,
				Iso:        ptr(time.Date(2024, 3, 1, 14, 30, 45, 0, time.FixedZone("CEST", 2*3600))),
				Empty:      ptr(""),
				EmptyList:  []string{},
				Plain:      "plain",
				Document:   map[string]any{"ignored": true},
				Unsigned:   ptr(uint64(7)),
				Pointers:   []*owner{{ID: ptr("p")}},
				Deep:       map[string]map[string]bool{"d": {"x": true}},
			},
			want: `<R><Attributes><entry><Name>a</Name><Value>1</Value></entry><entry><Name>b</Name><Value>2</Value></entry></Attributes>` +
				`<Entry><key>k</key><value>v</value></Entry>` +
				`<Nested><entry><Name>n</Name><Value><BinaryValue>AAEC</BinaryValue><DataType>Binary</DataType></Value></entry></Nested>` +
				`<ListMap><entry><key>l</key><value><member>x</member><member>y</member></value></entry></ListMap>` +
				`<Floats><F>1.5</F><F>Infinity</F><F>NaN</F></Floats>` +
				`<Blob>aGk=</Blob><Stamp>Fri, 01 Mar 2024 12:30:45 GMT</Stamp><Epoch>1709296245.123</Epoch><Iso>2024-03-01T12:30:45.000Z</Iso>` +
				`<Empty></Empty><EmptyList></EmptyList><Plain>plain</Plain><Unsigned>7</Unsigned><Pointers><member><ID>p</ID></member></Pointers>` +
				`<Deep><entry><key>d</key><value><entry><key>x</key><value>true</value></entry></value></entry></Deep></R>`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			got := string(AppendRoot(nil, tc.root, tc.ns, tc.in))
			if got != tc.want {
				t.Fatalf("encoded\n got %s\nwant %s", got, tc.want)
			}
			// encoding/xml must accept what we write.
			if err := xml.Unmarshal([]byte(got), new(struct{})); err != nil {
				t.Fatalf("not well-formed: %v", err)
			}
			back := reflect.New(reflect.TypeOf(tc.in).Elem())
			root, err := UnmarshalRoot([]byte(xml.Header+got), back.Interface())
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if root != tc.root {
				t.Errorf("root %q, want %q", root, tc.root)
			}
			if again := string(AppendRoot(nil, tc.root, tc.ns, back.Interface())); again != tc.want {
				t.Fatalf("round trip changed the document\n got %s\nwant %s", again, tc.want)
			}
		})
	}
}

func TestDecodeSDKDocuments(t *testing.T) {
	t.Run("PutBucketAcl body", func(t *testing.T) {
		doc := `<?xml version="1.0" encoding="UTF-8"?>
<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <AccessControlList>
    <Grant>
      <Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="AmazonCustomerByEmail">
        <EmailAddress>a@example.com</EmailAddress>
      </Grantee>
      <Permission>WRITE_ACP</Permission>
    </Grant>
  </AccessControlList>
  <Owner><ID>owner-id</ID><Unknown><Deep>ignored</Deep></Unknown></Owner>
</AccessControlPolicy>`
		var got accessControlPolicy
		if err := Unmarshal([]byte(doc), &got); err != nil {
			t.Fatal(err)
		}
		want := accessControlPolicy{
			Grants: []grant{{Grantee: &grantee{Type: ptr("AmazonCustomerByEmail"), EmailAddress: ptr("a@example.com")}, Permission: ptr("WRITE_ACP")}},
			Owner:  &owner{ID: ptr("owner-id")},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("DeleteObjects with escaped keys", func(t *testing.T) {
		doc := `<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a&#xD;&#xA;b</Key></Object>` +
			`<Object><Key><![CDATA[x<y]]></Key></Object><Quiet>TRUE</Quiet></Delete>`
		var got deleteRequest
		if err := Unmarshal([]byte(doc), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Objects) != 2 || *got.Objects[0].Key != "a\r\nb" || *got.Objects[1].Key != "x<y" || !*got.Quiet {
			t.Fatalf("got %+v", got)
		}
	})
}

func TestDecodeMalformed(t *testing.T) {
	for name, doc := range map[string]string{
		"empty":                "",
		"not xml":              "hello",
		"unclosed":             "<Delete><Object><Key>a</Key></Object>",
		"mismatched":           "<Delete><Object></Delete></Object>",
		"two roots":            "<Delete></Delete><Delete></Delete>",
		"text after root":      "<Delete></Delete>trailing",
		"bad entity":           "<Delete><Quiet>&bogus;</Quiet></Delete>",
		"bad boolean":          "<Delete><Quiet>maybe</Quiet></Delete>",
		"bad integer":          "<CreateBucketConfiguration><Tags><Tag><Key>k</Key></Tag></Tags></CreateBucketConfiguration><x",
		"invalid char":         "<Delete><Object><Key>\x01</Key></Object></Delete>",
		"unsupported encoding": `<?xml version="1.0" encoding="EBCDIC"?><Delete/>`,
	} {
		t.Run(name, func(t *testing.T) {
			err := Unmarshal([]byte(doc), &deleteRequest{})
			var xe *Error
			if !errors.As(err, &xe) {
				t.Fatalf("got %v, want *Error", err)
			}
		})
	}
	var out listObjectsV2Output
	if err := Unmarshal([]byte("<L><MaxKeys>many</MaxKeys></L>"), &out); err == nil || !strings.Contains(err.Error(), "MaxKeys") {
		t.Fatalf("integer element: got %v", err)
	}
	if err := Unmarshal([]byte("<L/>"), out); err == nil {
		t.Fatal("decoding into a non-pointer must fail")
	}
}

func TestAppendEscaped(t *testing.T) {
	for in, want := range map[string]string{
		"plain":          "plain",
		`<a href="x">&'`: "&lt;a href=&quot;x&quot;&gt;&amp;&apos;",
		"tab\tnl\ncr\r":  "tab&#x9;nl&#xA;cr&#xD;",
		"ctl\x01\x1f":    "ctl\uFFFD\uFFFD",
		"bad\xffutf8":    "bad\uFFFDutf8",
		"ünïcödé ✓ 😀":    "ünïcödé ✓ 😀",
		"\uFFFE":         "\uFFFD",
	} {
		if got := string(AppendEscaped(nil, in)); got != want {
			t.Errorf("AppendEscaped(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAppendISO8601(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2024, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 6, 1, 2, 3, 4, 5e6, time.FixedZone("X", -7*3600)),
		time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		if got, want := string(AppendISO8601(nil, tm)), tm.UTC().Format("2006-01-02T15:04:05.000Z"); got != want {
			t.Errorf("AppendISO8601(%v) = %s, want %s", tm, got, want)
		}
	}
}

func TestHasBody(t *testing.T) {
	type headersOnly struct {
		ETag *string `aws:"loc=header"`
		Body any     `aws:"payload,streaming"`
	}
	if HasBody(reflect.TypeFor[headersOnly]()) {
		t.Error("headers-only struct has no body")
	}
	if !HasBody(reflect.TypeFor[*listObjectsV2Output]()) {
		t.Error("ListObjectsV2Output has a body")
	}
}

type recursive struct {
	Name     *string
	Children []recursive `aws:"member=Child"`
}

func TestRecursiveShape(t *testing.T) {
	in := &recursive{Name: ptr("a"), Children: []recursive{{Name: ptr("b"), Children: []recursive{{Name: ptr("c")}}}}}
	doc := AppendRoot(nil, "Node", "", in)
	var back recursive
	if err := Unmarshal(doc, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, &back) {
		t.Fatalf("got %s", doc)
	}
}
