package bolt_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/storage"
	"github.com/nimbus-cloud/nimbus/internal/storage/bolt"
)

const (
	crashChildEnv = "NIMBUS_BOLT_CRASH_DIR"
	crashStartEnv = "NIMBUS_BOLT_CRASH_START"
	crashFsyncEnv = "NIMBUS_BOLT_CRASH_FSYNC"
	// The child stops by itself after this many writes or this long, in
	// case the parent never kills it.
	crashChildMaxWrites = 200000
	crashChildMaxTime   = 2 * time.Minute
)

// crashBody is the blob written for step i: sizes vary so that blobs and
// pages of every shape are in flight when the kill lands.
func crashBody(i int) []byte {
	b := make([]byte, (i%17)*700+i%5)
	for j := range b {
		b[j] = byte(i*31 + j*7)
	}
	return b
}

func crashKey(i int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(i)) }

// crashValue records the blob id and digest of step i, padded so that
// records spill over pages and force splits.
func crashValue(i int, blobID string, body []byte) []byte {
	sum := sha256.Sum256(body)
	return []byte(blobID + " " + hex.EncodeToString(sum[:]) + " " + strings.Repeat("p", i%300))
}

// deletedBy reports which step deletes the record of step i, if any: every
// tenth step also deletes an earlier record, so acknowledged deletes are
// checked too.
func deletedBy(i int) (step int, ok bool) {
	if i%10 == 4 {
		return i + 5, true
	}
	return 0, false
}

// crashChild runs in the re-executed test binary: it writes until killed,
// printing "ack i" after each Update returns.
func crashChild(dir string) {
	start, _ := strconv.Atoi(os.Getenv(crashStartEnv))
	db, err := bolt.Open(storage.Options{Dir: dir, Fsync: os.Getenv(crashFsyncEnv) == "1"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(2)
	}
	deadline := time.Now().Add(crashChildMaxTime)
	for i := start; i < start+crashChildMaxWrites && time.Now().Before(deadline); i++ {
		body := crashBody(i)
		w, err := db.Blobs().Create()
		if err == nil {
			_, err = w.Write(body)
		}
		var id string
		if err == nil {
			id, err = w.Commit()
		}
		if err == nil {
			err = db.Update(context.Background(), func(tx storage.Tx) error {
				if err := tx.Put("records", crashKey(i), crashValue(i, id, body)); err != nil {
					return err
				}
				if i%10 == 9 {
					if err := tx.Delete("records", crashKey(i-5)); err != nil {
						return err
					}
				}
				return tx.Put("counter", []byte("last"), crashKey(i))
			})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(2)
		}
		fmt.Fprintf(os.Stdout, "ack %d\n", i)
	}
	os.Exit(0)
}

// runCrashChild starts a child writing from step start, kills it with
// SIGKILL once it has acknowledged killAfter writes, and returns every step
// it acknowledged (including those still in the pipe at the kill).
func runCrashChild(t *testing.T, dir string, start, killAfter int, fsync bool) []int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, crashStartEnv+"="+strconv.Itoa(start))
	if fsync {
		cmd.Env = append(cmd.Env, crashFsyncEnv+"=1")
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []int
	lines := bufio.NewScanner(out)
	killed := false
	for lines.Scan() {
		n, err := strconv.Atoi(strings.TrimPrefix(lines.Text(), "ack "))
		if err != nil {
			t.Errorf("child printed %q", lines.Text())
			continue
		}
		acked = append(acked, n)
		if !killed && len(acked) >= killAfter {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			killed = true
		}
	}
	io.Copy(io.Discard, out)
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child ended before the kill after %d acks: %v\n%s", len(acked), err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Fatalf("child reported: %s", stderr.String())
	}
	return acked
}

// checkAcked reopens the store and checks that every acknowledged write is
// there and intact (and every acknowledged delete done), and that no
// unfinished blob is left in tmp/.
func checkAcked(t *testing.T, dir string, acked map[int]bool, last int) {
	t.Helper()
	db := openIn(t, dir, false)
	defer db.Close()
	err := db.View(context.Background(), func(tx storage.Tx) error {
		v, err := tx.Get("counter", []byte("last"))
		if err != nil {
			return fmt.Errorf("counter: %w", err)
		}
		// Steps commit in order, and at most one was in flight at the kill.
		committed := int(binary.BigEndian.Uint64(v))
		if committed != last && committed != last+1 {
			return fmt.Errorf("last committed step = %d; last acknowledged %d", committed, last)
		}
		for i := range acked {
			by, deleted := deletedBy(i)
			v, err := tx.Get("records", crashKey(i))
			if deleted && by <= committed {
				if !errors.Is(err, storage.ErrNotFound) {
					return fmt.Errorf("record %d: acknowledged delete undone (%v)", i, err)
				}
				continue
			}
			if err != nil {
				return fmt.Errorf("acknowledged record %d: %w", i, err)
			}
			fields := strings.Fields(string(v))
			body := crashBody(i)
			if string(v) != string(crashValue(i, fields[0], body)) {
				return fmt.Errorf("record %d damaged: %q", i, v)
			}
			r, err := db.Blobs().Open(fields[0])
			if err != nil {
				return fmt.Errorf("blob of acknowledged record %d: %w", i, err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || string(got) != string(body) {
				return fmt.Errorf("blob of record %d damaged (%d bytes, %v)", i, len(got), err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tmp, err := os.ReadDir(filepath.Join(dir, "blobs", "tmp"))
	if err != nil || len(tmp) != 0 {
		t.Fatalf("blobs/tmp after reopen: %d entries, %v", len(tmp), err)
	}
}

// TestKill9 kills a writing process with SIGKILL several times in a row and
// checks after each kill that every write it acknowledged survived.
func TestKill9(t *testing.T) {
	tests := []struct {
		name   string
		fsync  bool
		rounds int
	}{
		{"nosync", false, 4},
		{"fsync", true, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			acked := map[int]bool{}
			next := 0
			for round := range tc.rounds {
				steps := runCrashChild(t, dir, next, 150+round*97, tc.fsync)
				for _, i := range steps {
					acked[i] = true
				}
				last := steps[len(steps)-1]
				checkAcked(t, dir, acked, last)
				t.Logf("round %d: killed after %d acknowledged writes (last %d)", round, len(steps), last)
				next = last + 1
			}
		})
	}
}
