module github.com/nimbus-cloud/nimbus

go 1.26

require (
	github.com/google/btree v1.1.3
	go.etcd.io/bbolt v1.4.3
)

require golang.org/x/sys v0.29.0 // indirect
