package s3

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/engine"
)

// fill sets every settable leaf under v to a non-zero value, allocating
// every pointer, slice (one element) and map (one entry) on the way, to
// the given depth.
func fill(v reflect.Value, depth int) {
	if depth == 0 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), depth-1)
		v.Set(p)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				fill(f, depth-1)
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), depth-1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		fill(k, depth-1)
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, depth-1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1)
	}
}

// scribble changes every leaf reachable from v in place (through pointers,
// slices and maps), as a caller changing its record would.
func scribble(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			scribble(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				scribble(f)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			scribble(v.Index(i))
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if e := it.Value(); e.Kind() == reflect.Pointer && !e.IsNil() {
				scribble(e.Elem())
			}
		}
		k := reflect.New(v.Type().Key()).Elem()
		k.SetString("added")
		v.SetMapIndex(k, reflect.New(v.Type().Elem()).Elem())
	case reflect.String:
		v.SetString(v.String() + "!")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
	}
}

func TestCloneBucketSharesNothing(t *testing.T) {
	var b bucketRecord
	fill(reflect.ValueOf(&b).Elem(), 12)
	if b.ACL == nil || len(b.ACL.Grants) == 0 || b.ACL.Grants[0].Grantee == nil || len(b.Analytics) == 0 {
		t.Fatal("fill left members empty")
	}
	before, _ := json.Marshal(&b)
	c := cloneBucket(&b)
	if !reflect.DeepEqual(c, &b) {
		t.Fatal("clone differs from the original")
	}
	scribble(reflect.ValueOf(c).Elem())
	after, _ := json.Marshal(&b)
	if string(before) != string(after) {
		t.Fatalf("changing the clone changed the original:\nbefore %s\nafter  %s", before, after)
	}
}

func TestBucketCache(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	if _, err := s.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: ptr("cached")}); err != nil {
		t.Fatal(err)
	}
	load := func() *bucketRecord {
		t.Helper()
		b, err := s.viewBucket(ctx, "cached")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// A caller changing its record changes neither the cache nor the store.
	b := load()
	b.Versioning = "Enabled"
	b.ACL.Grants[0].Permission = ptr("READ")
	b.Tags = append(b.Tags, s3api.Tag{Key: ptr("k"), Value: ptr("v")})
	if got := load(); got.Versioning != "" || *got.ACL.Grants[0].Permission != "FULL_CONTROL" || got.Tags != nil {
		t.Fatalf("a caller's change leaked into the next load: %+v", got)
	}
	// A stored change is seen at once.
	if err := s.updateBucket(ctx, "cached", func(b *bucketRecord) error { b.Versioning = "Suspended"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := load(); got.Versioning != "Suspended" {
		t.Fatalf("stale record: %+v", got)
	}
	// A change rolled back is not seen.
	err := s.db.Update(ctx, func(tx storage.Tx) error {
		b, err := s.bucket(tx, "cached")
		if err != nil {
			return err
		}
		b.Versioning = "Enabled"
		if err := putJSON(tx, tableBuckets, []byte("cached"), b); err != nil {
			return err
		}
		if b, err = s.bucket(tx, "cached"); err != nil || b.Versioning != "Enabled" {
			t.Fatalf("inside the transaction: %v %+v", err, b)
		}
		return errInvalidRequest.New("roll back")
	})
	wantCode(t, err, "InvalidRequest")
	if got := load(); got.Versioning != "Suspended" {
		t.Fatalf("rolled-back change seen: %+v", got)
	}
	if _, err := s.DeleteBucket(ctx, &s3api.DeleteBucketInput{Bucket: ptr("cached")}); err != nil {
		t.Fatal(err)
	}
	_, err = s.viewBucket(ctx, "cached")
	wantCode(t, err, "NoSuchBucket")
}

func BenchmarkBucketLoad(b *testing.B) {
	ctx := context.Background()
	store, err := engine.Open(storage.Options{Ephemeral: true})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	db := New(Deps{Store: store})
	if _, err := db.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: ptr("bench")}); err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := db.viewBucket(ctx, "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			err := db.db.View(ctx, func(tx storage.Tx) error {
				var rec bucketRecord
				return getJSON(tx, tableBuckets, []byte("bench"), &rec)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
