package s3

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sync"
)

// bucketCache spares every request the JSON decoding of its bucket's
// record. An entry is keyed by the record's stored bytes, not by time or
// version: a lookup compares the bytes the transaction reads with the
// bytes the entry was decoded from, so an entry can never be stale, and
// it cannot matter which transaction (committed or not) filled it.
//
// Callers own and may change the records they get: the cache keeps its
// own copy, never handed out, and returns a deep copy of it.
type bucketCache struct {
	mu sync.RWMutex
	m  map[string]*cachedBucket
}

type cachedBucket struct {
	raw []byte
	rec *bucketRecord
}

// maxCachedBuckets bounds the cache; S3 accounts have at most a few
// thousand buckets, and a full cache only costs decoding.
const maxCachedBuckets = 4096

// record returns the bucket record stored as raw (the bytes of the
// bucket's row in the current transaction).
func (c *bucketCache) record(name string, raw []byte) (*bucketRecord, error) {
	c.mu.RLock()
	e := c.m[name]
	c.mu.RUnlock()
	if e != nil && bytes.Equal(e.raw, raw) {
		return cloneBucket(e.rec), nil
	}
	var b bucketRecord
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, err
	}
	e = &cachedBucket{raw: bytes.Clone(raw), rec: cloneBucket(&b)}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedBuckets {
		c.m = map[string]*cachedBucket{}
	}
	c.m[name] = e
	c.mu.Unlock()
	return &b, nil
}

// forget drops a bucket that no longer exists.
func (c *bucketCache) forget(name string) {
	c.mu.Lock()
	delete(c.m, name)
	c.mu.Unlock()
}

// cloneBucket returns a copy of b that shares no memory a caller could
// change with b: every pointer, slice and map is copied, down to the
// leaves of the sub-resource configurations.
func cloneBucket(b *bucketRecord) *bucketRecord {
	out := new(bucketRecord)
	deepCopy(reflect.ValueOf(out).Elem(), reflect.ValueOf(b).Elem())
	return out
}

// deepCopy sets dst to a copy of src that shares no pointer, slice or map
// with it. Unexported struct fields are copied as they are (time.Time's
// location, which is immutable, is the only one in these records).
func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		deepCopy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Struct:
		dst.Set(src)
		for i := range src.NumField() {
			if f := dst.Field(i); f.CanSet() && needsDeepCopy(f.Kind()) {
				f.SetZero()
				deepCopy(f, src.Field(i))
			}
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		if needsDeepCopy(src.Type().Elem().Kind()) {
			for i := range src.Len() {
				deepCopy(s.Index(i), src.Index(i))
			}
		} else {
			reflect.Copy(s, src)
		}
		dst.Set(s)
	case reflect.Array:
		for i := range src.Len() {
			deepCopy(dst.Index(i), src.Index(i))
		}
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		it := src.MapRange()
		for it.Next() {
			k := reflect.New(src.Type().Key()).Elem()
			deepCopy(k, it.Key())
			v := reflect.New(src.Type().Elem()).Elem()
			deepCopy(v, it.Value())
			m.SetMapIndex(k, v)
		}
		dst.Set(m)
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		v := reflect.New(src.Elem().Type()).Elem()
		deepCopy(v, src.Elem())
		dst.Set(v)
	default:
		dst.Set(src)
	}
}

func needsDeepCopy(k reflect.Kind) bool {
	switch k {
	case reflect.Pointer, reflect.Struct, reflect.Slice, reflect.Array, reflect.Map, reflect.Interface:
		return true
	}
	return false
}
