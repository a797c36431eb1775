package restxml

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
)

// sdkFake is a tiny S3 behind the codec: enough state to answer the calls
// of TestAWSSDKRoundTrip, so that the real aws-sdk-go-v2 client checks our
// wire format both ways.
type sdkFake struct {
	mu      sync.Mutex
	objects map[string]*s3api.PutObjectInput
	bodies  map[string]string
	region  string
}

func (f *sdkFake) handle(ctx context.Context, op string, in any) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	lm := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	switch op {
	case "CreateBucket":
		in := in.(*s3api.CreateBucketInput)
		if in.CreateBucketConfiguration != nil && in.CreateBucketConfiguration.LocationConstraint != nil {
			f.region = *in.CreateBucketConfiguration.LocationConstraint
		}
		return &s3api.CreateBucketOutput{Location: aws.String("/" + *in.Bucket)}, nil
	case "GetBucketLocation":
		return &s3api.GetBucketLocationOutput{LocationConstraint: aws.String(f.region)}, nil
	case "PutObject":
		in := in.(*s3api.PutObjectInput)
		body, err := io.ReadAll(in.Body)
		if err != nil {
			return nil, err
		}
		f.objects[*in.Key], f.bodies[*in.Key] = in, string(body)
		return &s3api.PutObjectOutput{ETag: aws.String(`"etag-` + *in.Key + `"`), VersionId: aws.String("v1")}, nil
	case "GetObject", "HeadObject":
		key := ""
		if g, ok := in.(*s3api.GetObjectInput); ok {
			key = *g.Key
		} else {
			key = *in.(*s3api.HeadObjectInput).Key
		}
		obj, ok := f.objects[key]
		if !ok {
			return nil, s3api.ErrNoSuchKey.New("The specified key does not exist.").WithDetail(map[string]string{"Key": key})
		}
		n := int64(len(f.bodies[key]))
		if op == "HeadObject" {
			return &s3api.HeadObjectOutput{ContentLength: &n, ContentType: obj.ContentType, Metadata: obj.Metadata, LastModified: &lm,
				ETag: aws.String(`"etag-` + key + `"`)}, nil
		}
		return &s3api.GetObjectOutput{Body: io.NopCloser(strings.NewReader(f.bodies[key])), ContentLength: &n,
			ContentType: obj.ContentType, Metadata: obj.Metadata, LastModified: &lm, ETag: aws.String(`"etag-` + key + `"`)}, nil
	case "ListObjectsV2":
		in := in.(*s3api.ListObjectsV2Input)
		out := &s3api.ListObjectsV2Output{Name: in.Bucket, Prefix: in.Prefix, MaxKeys: aws.Int32(1000), IsTruncated: aws.Bool(false)}
		for k, b := range f.bodies {
			out.Contents = append(out.Contents, s3api.Object{Key: aws.String(k), Size: aws.Int64(int64(len(b))), LastModified: &lm,
				ETag: aws.String(`"etag-` + k + `"`), StorageClass: aws.String("STANDARD")})
		}
		out.KeyCount = aws.Int32(int32(len(out.Contents)))
		return out, nil
	case "DeleteObjects":
		in := in.(*s3api.DeleteObjectsInput)
		out := &s3api.DeleteObjectsOutput{}
		for _, o := range in.Delete.Objects {
			if _, ok := f.objects[*o.Key]; !ok {
				out.Errors = append(out.Errors, s3api.Error{Key: o.Key, Code: aws.String("NoSuchKey"), Message: aws.String("missing")})
				continue
			}
			delete(f.objects, *o.Key)
			delete(f.bodies, *o.Key)
			out.Deleted = append(out.Deleted, s3api.DeletedObject{Key: o.Key})
		}
		return out, nil
	case "GetBucketAcl":
		return &s3api.GetBucketAclOutput{
			Owner: &s3api.Owner{ID: aws.String("owner")},
			Grants: []s3api.Grant{
				{Grantee: &s3api.Grantee{Type: aws.String("CanonicalUser"), ID: aws.String("owner")}, Permission: aws.String("FULL_CONTROL")},
				{Grantee: &s3api.Grantee{Type: aws.String("Group"), URI: aws.String("http://acs.amazonaws.com/groups/global/AllUsers")}, Permission: aws.String("READ")},
			}}, nil
	}
	return nil, awserr.NotImplemented.New("not in the fake")
}

func (f *sdkFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var c Codec
	r = r.WithContext(request.With(r.Context(), &request.Info{Service: "s3", RequestID: "REQ123", Header: http.Header{}}))
	op, err := c.Operation(r, s3api.Service)
	if err != nil {
		c.EncodeError(w, r, s3api.Service, nil, awserr.From(err))
		return
	}
	in := op.NewInput()
	if err := c.Decode(r, s3api.Service, op, in); err != nil {
		c.EncodeError(w, r, s3api.Service, op, awserr.From(err))
		return
	}
	out, err := f.handle(r.Context(), op.Name, in)
	if err != nil {
		c.EncodeError(w, r, s3api.Service, op, awserr.From(err))
		return
	}
	if err := c.Encode(w, r, s3api.Service, op, out); err != nil {
		panic(err)
	}
}

func TestAWSSDKRoundTrip(t *testing.T) {
	srv := httptest.NewServer(&sdkFake{objects: map[string]*s3api.PutObjectInput{}, bodies: map[string]string{}})
	defer srv.Close()
	client := s3.New(s3.Options{
		Region:                     "eu-west-1",
		BaseEndpoint:               aws.String(srv.URL),
		UsePathStyle:               true,
		Credentials:                aws.AnonymousCredentials{},
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		RetryMaxAttempts:           1,
	})
	ctx := t.Context()

	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bucket"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuWest1}}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	loc, err := client.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("bucket")})
	if err != nil || loc.LocationConstraint != s3types.BucketLocationConstraintEuWest1 {
		t.Fatalf("GetBucketLocation: %v %+v", err, loc)
	}
	for _, key := range []string{"photos/cat & dog.jpg", "notes/a+b.txt"} {
		put, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key),
			Body: strings.NewReader("content of " + key), ContentType: aws.String("text/plain"),
			Metadata: map[string]string{"Owner": "alice"}})
		if err != nil || aws.ToString(put.ETag) != `"etag-`+key+`"` || aws.ToString(put.VersionId) != "v1" {
			t.Fatalf("PutObject %q: %v %+v", key, err, put)
		}
	}
	got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("photos/cat & dog.jpg")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(body) != "content of photos/cat & dog.jpg" || got.Metadata["owner"] != "alice" || aws.ToString(got.ContentType) != "text/plain" ||
		!got.LastModified.Equal(time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("GetObject: %q %+v", body, got)
	}
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bucket"), Key: aws.String("notes/a+b.txt")})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len("content of notes/a+b.txt")) {
		t.Fatalf("HeadObject: %v %+v", err, head)
	}
	list, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bucket")})
	if err != nil || len(list.Contents) != 2 || aws.ToInt32(list.KeyCount) != 2 || aws.ToString(list.Name) != "bucket" {
		t.Fatalf("ListObjectsV2: %v %+v", err, list)
	}
	acl, err := client.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("bucket")})
	if err != nil || len(acl.Grants) != 2 || acl.Grants[1].Grantee.Type != s3types.TypeGroup ||
		aws.ToString(acl.Grants[1].Grantee.URI) != "http://acs.amazonaws.com/groups/global/AllUsers" {
		t.Fatalf("GetBucketAcl: %v %+v", err, acl)
	}

	// Errors: the SDK must see the code, the status and the request id.
	_, err = client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("missing")})
	var nsk *s3types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Fatalf("GetObject missing: %v", err)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchKey" || ae.ErrorMessage() != "The specified key does not exist." {
		t.Fatalf("GetObject missing: %v", err)
	}
	_, err = client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bucket"), Key: aws.String("missing")})
	if !errors.As(err, &ae) || ae.ErrorCode() != "NotFound" {
		t.Fatalf("HeadObject missing: %v", err)
	}

	del, err := client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("bucket"), Delete: &s3types.Delete{
		Objects: []s3types.ObjectIdentifier{{Key: aws.String("notes/a+b.txt")}, {Key: aws.String("nope")}}}})
	if err != nil || len(del.Deleted) != 1 || aws.ToString(del.Deleted[0].Key) != "notes/a+b.txt" ||
		len(del.Errors) != 1 || aws.ToString(del.Errors[0].Code) != "NoSuchKey" {
		t.Fatalf("DeleteObjects: %v %+v", err, del)
	}
}
