package dynamodb

import (
	"fmt"
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/dynamodbapi"
)

// Limits DynamoDB applies to a table's definition.
const (
	maxLSIs            = 5
	maxGSIs            = 20
	maxProjectedAttrs  = 100
	maxThroughputUnits = 1_000_000_000_000
)

// validTableName applies CreateTable's rules for table (and index) names.
func validTableName(name, field string) error {
	if len(name) < 3 || len(name) > 255 {
		return validation("TableName must be at least 3 characters long and at most 255 characters long")
	}
	if !validNameChars(name) {
		return validationf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", name, field)
	}
	return nil
}

func validNameChars(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// attrDefs checks AttributeDefinitions for duplicates and indexes them.
func attrDefs(defs []dynamodbapi.AttributeDefinition) (map[string]string, error) {
	m := make(map[string]string, len(defs))
	for _, d := range defs {
		name := deref(d.AttributeName)
		if _, dup := m[name]; dup {
			return nil, validation("Attribute Name is duplicated: " + name)
		}
		m[name] = deref(d.AttributeType)
	}
	return m, nil
}

func defNames(defs []dynamodbapi.AttributeDefinition) string {
	names := make([]string, len(defs))
	for i, d := range defs {
		names[i] = deref(d.AttributeName)
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// schemaOf checks one KeySchema (of the table or of an index) against the
// attribute definitions and returns it typed.
func schemaOf(elems []dynamodbapi.KeySchemaElement, defs []dynamodbapi.AttributeDefinition, types map[string]string, field string) (keySchema, error) {
	var ks keySchema
	if len(elems) > 2 {
		parts := make([]string, len(elems))
		for i, e := range elems {
			parts[i] = fmt.Sprintf("KeySchemaElement(attributeName=%s, keyType=%s)", deref(e.AttributeName), deref(e.KeyType))
		}
		return ks, validationf("1 validation error detected: Value '[%s]' at '%s' failed to satisfy constraint: Member must have length less than or equal to 2", strings.Join(parts, ", "), field)
	}
	if len(elems) == 0 {
		return ks, validationf("1 validation error detected: Value '[]' at '%s' failed to satisfy constraint: Member must have length greater than or equal to 1", field)
	}
	// With fewer definitions than key elements DynamoDB answers with a
	// terse message; otherwise it names the missing keys.
	if len(defs) < len(elems) {
		return ks, validation("Invalid KeySchema: Some index key attribute have no definition")
	}
	var missing bool
	keys := make([]string, len(elems))
	for i, e := range elems {
		keys[i] = deref(e.AttributeName)
		if _, ok := types[keys[i]]; !ok {
			missing = true
		}
	}
	if missing {
		return ks, validationf("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: %s", strings.Join(keys, ", "), defNames(defs))
	}
	if len(elems) == 2 && keys[0] == keys[1] {
		return ks, validation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
	}
	if deref(elems[0].KeyType) != "HASH" {
		return ks, validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	}
	if len(elems) == 2 && deref(elems[1].KeyType) != "RANGE" {
		return ks, validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
	}
	ks.Hash = keyAttr{Name: keys[0], Type: types[keys[0]]}
	if len(elems) == 2 {
		ks.Range = keyAttr{Name: keys[1], Type: types[keys[1]]}
	}
	return ks, nil
}

// projectionOf checks an index's projection.
func projectionOf(p *dynamodbapi.Projection) (string, []string, error) {
	if p == nil || p.ProjectionType == nil {
		return "", nil, validation("One or more parameter values were invalid: Unknown ProjectionType: null")
	}
	pt := *p.ProjectionType
	if pt != projInclude && len(p.NonKeyAttributes) > 0 {
		return "", nil, validationf("One or more parameter values were invalid: ProjectionType is %s, but NonKeyAttributes is specified", pt)
	}
	if pt == projInclude && len(p.NonKeyAttributes) == 0 {
		return "", nil, validation("One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
	}
	seen := map[string]bool{}
	for _, a := range p.NonKeyAttributes {
		if seen[a] {
			return "", nil, validationf("One or more parameter values were invalid: Duplicate NonKeyAttribute: %s", a)
		}
		seen[a] = true
	}
	return pt, append([]string(nil), p.NonKeyAttributes...), nil
}

// throughputOf checks a ProvisionedThroughput value against the billing
// mode; what names the index ("" for the table).
func throughputOf(pt *dynamodbapi.ProvisionedThroughput, billing, index string) (rcu, wcu int64, err error) {
	if billing == billingOnDemand {
		if pt != nil {
			if index != "" {
				return 0, 0, validationf("One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: %s when BillingMode is PAY_PER_REQUEST", index)
			}
			return 0, 0, validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
		return 0, 0, nil
	}
	if pt == nil || pt.ReadCapacityUnits == nil || pt.WriteCapacityUnits == nil {
		if index != "" {
			return 0, 0, validationf("One or more parameter values were invalid: ProvisionedThroughput must be specified for index: %s", index)
		}
		return 0, 0, validation("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
	}
	rcu, wcu = *pt.ReadCapacityUnits, *pt.WriteCapacityUnits
	if rcu > maxThroughputUnits {
		return 0, 0, validationf("Given value %d for ReadCapacityUnits is out of bounds", rcu)
	}
	if wcu > maxThroughputUnits {
		return 0, 0, validationf("Given value %d for WriteCapacityUnits is out of bounds", wcu)
	}
	return rcu, wcu, nil
}

func limitsOf(o *dynamodbapi.OnDemandThroughput) *limits {
	if o == nil || (o.MaxReadRequestUnits == nil && o.MaxWriteRequestUnits == nil) {
		return nil
	}
	return &limits{Read: deref(o.MaxReadRequestUnits), Write: deref(o.MaxWriteRequestUnits)}
}

func warmOf(w *dynamodbapi.WarmThroughput) *limits {
	if w == nil || (w.ReadUnitsPerSecond == nil && w.WriteUnitsPerSecond == nil) {
		return nil
	}
	return &limits{Read: deref(w.ReadUnitsPerSecond), Write: deref(w.WriteUnitsPerSecond)}
}

// tableDef is a validated CreateTable request.
type tableDef struct {
	key      keySchema
	attrs    []keyAttr
	billing  string
	rcu, wcu int64
	lsis     []*indexMeta
	gsis     []*indexMeta
}

// validateCreateTable applies CreateTable's checks in the order DynamoDB
// applies them, so that a request with several faults gets the same error.
func validateCreateTable(in *dynamodbapi.CreateTableInput) (*tableDef, error) {
	name := deref(in.TableName)
	if err := validTableName(name, "tableName"); err != nil {
		return nil, err
	}
	var nulls []string
	if in.AttributeDefinitions == nil {
		nulls = append(nulls, "Value null at 'attributeDefinitions' failed to satisfy constraint: Member must not be null")
	}
	if in.KeySchema == nil {
		nulls = append(nulls, "Value null at 'keySchema' failed to satisfy constraint: Member must not be null")
	}
	if len(nulls) > 0 {
		return nil, validationf("%d validation error%s detected: %s", len(nulls), plural(len(nulls)), strings.Join(nulls, "; "))
	}
	def := &tableDef{billing: billingProvisioned}
	if in.BillingMode != nil {
		def.billing = *in.BillingMode
	}
	var err error
	if def.rcu, def.wcu, err = throughputOf(in.ProvisionedThroughput, def.billing, ""); err != nil {
		return nil, err
	}
	types, err := attrDefs(in.AttributeDefinitions)
	if err != nil {
		return nil, err
	}
	if def.key, err = schemaOf(in.KeySchema, in.AttributeDefinitions, types, "keySchema"); err != nil {
		return nil, err
	}
	if in.LocalSecondaryIndexes != nil && len(in.LocalSecondaryIndexes) == 0 {
		return nil, validation("One or more parameter values were invalid: List of LocalSecondaryIndexes is empty")
	}
	if in.GlobalSecondaryIndexes != nil && len(in.GlobalSecondaryIndexes) == 0 {
		return nil, validation("One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty")
	}
	names := map[string]bool{}
	projected := 0
	for i, l := range in.LocalSecondaryIndexes {
		ixName := deref(l.IndexName)
		if err := validIndexName(ixName, fmt.Sprintf("localSecondaryIndexes.%d.member.indexName", i+1)); err != nil {
			return nil, err
		}
		if !def.key.hasRange() {
			return nil, validation("One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
		}
		ks, err := schemaOf(l.KeySchema, in.AttributeDefinitions, types, fmt.Sprintf("localSecondaryIndexes.%d.member.keySchema", i+1))
		if err != nil {
			return nil, err
		}
		if !ks.hasRange() {
			return nil, validationf("One or more parameter values were invalid: Index KeySchema does not have a range key for index: %s", ixName)
		}
		if ks.Hash.Name != def.key.Hash.Name {
			return nil, validationf("One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: %s. index hash key: %s, table hash key: %s", ixName, ks.Hash.Name, def.key.Hash.Name)
		}
		pt, nonKey, err := projectionOf(l.Projection)
		if err != nil {
			return nil, err
		}
		if names[ixName] {
			return nil, validationf("One or more parameter values were invalid: Duplicate index name: %s", ixName)
		}
		names[ixName] = true
		projected += len(nonKey)
		def.lsis = append(def.lsis, &indexMeta{Name: ixName, Key: ks, Projection: pt, NonKey: nonKey, Status: statusActive})
	}
	if len(def.lsis) > maxLSIs {
		return nil, validationf("One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of %d", maxLSIs)
	}
	for i, g := range in.GlobalSecondaryIndexes {
		ix, err := gsiOf(g.IndexName, g.KeySchema, g.Projection, g.ProvisionedThroughput, g.OnDemandThroughput, g.WarmThroughput,
			in.AttributeDefinitions, types, def.billing, fmt.Sprintf("globalSecondaryIndexes.%d.member", i+1))
		if err != nil {
			return nil, err
		}
		if names[ix.Name] {
			return nil, validationf("One or more parameter values were invalid: Duplicate index name: %s", ix.Name)
		}
		names[ix.Name] = true
		projected += len(ix.NonKey)
		def.gsis = append(def.gsis, ix)
	}
	if len(def.gsis) > maxGSIs {
		return nil, validationf("One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of %d", maxGSIs)
	}
	if projected > maxProjectedAttrs {
		return nil, validationf("One or more parameter values were invalid: Number of projected attributes in all indexes exceeds limit of %d, number of projected attributes:%d", maxProjectedAttrs, projected)
	}
	if def.attrs, err = usedAttrs(in.AttributeDefinitions, def.key, append(append([]*indexMeta(nil), def.lsis...), def.gsis...)); err != nil {
		return nil, err
	}
	return def, nil
}

// gsiOf checks one global secondary index definition (of CreateTable or of
// an UpdateTable Create action).
func gsiOf(name *string, elems []dynamodbapi.KeySchemaElement, proj *dynamodbapi.Projection, pt *dynamodbapi.ProvisionedThroughput,
	onDemand *dynamodbapi.OnDemandThroughput, warm *dynamodbapi.WarmThroughput,
	defs []dynamodbapi.AttributeDefinition, types map[string]string, billing, field string) (*indexMeta, error) {
	ixName := deref(name)
	if err := validIndexName(ixName, field+".indexName"); err != nil {
		return nil, err
	}
	ks, err := schemaOf(elems, defs, types, field+".keySchema")
	if err != nil {
		return nil, err
	}
	ptype, nonKey, err := projectionOf(proj)
	if err != nil {
		return nil, err
	}
	rcu, wcu, err := throughputOf(pt, billing, ixName)
	if err != nil {
		return nil, err
	}
	return &indexMeta{Name: ixName, Global: true, Key: ks, Projection: ptype, NonKey: nonKey, RCU: rcu, WCU: wcu,
		OnDemand: limitsOf(onDemand), Warm: warmOf(warm), Status: statusActive}, nil
}

func validIndexName(name, field string) error {
	if !validNameChars(name) {
		return validationf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", name, field)
	}
	return nil
}

// usedAttrs checks that AttributeDefinitions names exactly the key
// attributes of the table and its indexes, and returns them typed in the
// order they were defined.
func usedAttrs(defs []dynamodbapi.AttributeDefinition, key keySchema, indexes []*indexMeta) ([]keyAttr, error) {
	var used []string
	seen := map[string]bool{}
	add := func(ks keySchema) {
		for _, a := range []keyAttr{ks.Hash, ks.Range} {
			if a.Name != "" && !seen[a.Name] {
				seen[a.Name] = true
				used = append(used, a.Name)
			}
		}
	}
	add(key)
	for _, ix := range indexes {
		add(ix.Key)
	}
	out := make([]keyAttr, 0, len(defs))
	unused := false
	for _, d := range defs {
		if !seen[deref(d.AttributeName)] {
			unused = true
		}
		out = append(out, keyAttr{Name: deref(d.AttributeName), Type: deref(d.AttributeType)})
	}
	if unused {
		return nil, validationf("One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: %s, keys used: [%s]", defNames(defs), strings.Join(used, ", "))
	}
	return out, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
