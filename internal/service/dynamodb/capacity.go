package dynamodb

import (
	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
)

// Capacity units, as DynamoDB charges them (developer guide, "Read/write
// capacity mode"): a write takes one unit per KB (rounded up) of the larger
// of the old and new item, plus the same for each index entry it writes or
// deletes; a read takes one unit per 4 KB (rounded up) when strongly
// consistent and half of that when eventually consistent. Transactions
// cost twice as much (the caller passes factor 2).

// readUnits is the charge for reading size bytes in one request.
func readUnits(size int, consistent bool) float64 {
	units := float64((size + 4095) / 4096)
	if units == 0 {
		units = 1
	}
	if !consistent {
		units /= 2
	}
	return units
}

// consumed builds the ConsumedCapacity of a request that asked for it
// (mode TOTAL or INDEXES); nil otherwise. name is the TableName the
// request gave (a name or an ARN, which DynamoDB echoes).
func consumed(mode *string, name string, write bool, table float64, indexes map[*indexMeta]float64, factor float64) *dynamodbapi.ConsumedCapacity {
	if mode == nil || (*mode != "TOTAL" && *mode != "INDEXES") {
		return nil
	}
	total := table
	for _, u := range indexes {
		total += u
	}
	total *= factor
	c := &dynamodbapi.ConsumedCapacity{TableName: ptr(name), CapacityUnits: ptr(total)}
	if write {
		c.WriteCapacityUnits = ptr(total)
	} else {
		c.ReadCapacityUnits = ptr(total)
	}
	if *mode != "INDEXES" {
		return c
	}
	c.Table = capacityOf(table*factor, write)
	for ix, u := range indexes {
		if ix.Global {
			if c.GlobalSecondaryIndexes == nil {
				c.GlobalSecondaryIndexes = map[string]dynamodbapi.Capacity{}
			}
			c.GlobalSecondaryIndexes[ix.Name] = *capacityOf(u*factor, write)
		} else {
			if c.LocalSecondaryIndexes == nil {
				c.LocalSecondaryIndexes = map[string]dynamodbapi.Capacity{}
			}
			c.LocalSecondaryIndexes[ix.Name] = *capacityOf(u*factor, write)
		}
	}
	return c
}

func capacityOf(units float64, write bool) *dynamodbapi.Capacity {
	c := &dynamodbapi.Capacity{CapacityUnits: ptr(units)}
	if write {
		c.WriteCapacityUnits = ptr(units)
	} else {
		c.ReadCapacityUnits = ptr(units)
	}
	return c
}
