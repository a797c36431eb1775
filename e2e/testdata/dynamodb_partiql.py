"""boto3 PartiQL against Nimbus DynamoDB: python3 dynamodb_partiql.py [case...]"""

import boto3

from s3check import case, check, eq, expect_error, run


def make_table(c, name):
    c.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    c.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})


@case
def statements():
    c = boto3.client("dynamodb")
    make_table(c, "Qtab")
    for i in range(5):
        c.execute_statement(Statement="INSERT INTO Qtab VALUE {'pk': ?, 'sk': ?, 'data': {'n': ?, 'l': [1, 2]}}",
                            Parameters=[{"S": "p"}, {"N": str(i)}, {"N": str(i * 10)}])
    out = c.execute_statement(Statement="SELECT sk, data.n FROM Qtab WHERE pk = 'p' AND sk BETWEEN 1 AND 3 ORDER BY sk DESC")
    eq(out["Items"], [{"sk": {"N": "3"}, "n": {"N": "30"}}, {"sk": {"N": "2"}, "n": {"N": "20"}}, {"sk": {"N": "1"}, "n": {"N": "10"}}], "select")

    out = c.execute_statement(Statement="UPDATE Qtab SET data.l = list_append(data.l, [3]) REMOVE data.n WHERE pk = 'p' AND sk = 0 RETURNING ALL NEW *")
    eq(out["Items"], [{"pk": {"S": "p"}, "sk": {"N": "0"}, "data": {"M": {"l": {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]}}}}], "update returning")
    out = c.execute_statement(Statement="DELETE FROM Qtab WHERE pk = 'p' AND sk = 4 RETURNING ALL OLD *")
    eq(out["Items"][0]["sk"], {"N": "4"}, "delete returning")

    items, token = [], None
    while True:
        kw = {"Statement": "SELECT * FROM Qtab", "Limit": 1}
        if token:
            kw["NextToken"] = token
        page = c.execute_statement(**kw)
        items += page["Items"]
        token = page.get("NextToken")
        if not token:
            break
    eq(sorted(int(i["sk"]["N"]) for i in items), [0, 1, 2, 3], "paged scan")


@case
def batch_and_transaction():
    c = boto3.client("dynamodb")
    make_table(c, "Btab")
    out = c.batch_execute_statement(Statements=[
        {"Statement": "INSERT INTO Btab VALUE {'pk': 'a', 'sk': 1, 'v': 1}"},
        {"Statement": "INSERT INTO Btab VALUE {'pk': 'a', 'sk': 2, 'v': 2}"},
        {"Statement": "INSERT INTO Btab VALUE {'pk': 'a', 'sk': 1}"},
    ])
    check("Error" not in out["Responses"][0], "first insert", out)
    eq(out["Responses"][2]["Error"]["Code"], "DuplicateItem", "duplicate in a batch")
    eq(out["Responses"][0]["TableName"], "Btab", "table name")

    out = c.batch_execute_statement(Statements=[
        {"Statement": "SELECT v FROM Btab WHERE pk = ? AND sk = ?", "Parameters": [{"S": "a"}, {"N": "2"}]},
        {"Statement": "SELECT v FROM Btab WHERE pk = 'a' AND sk = 9"},
    ])
    eq(out["Responses"][0]["Item"], {"v": {"N": "2"}}, "batch read")
    check("Item" not in out["Responses"][1], "missing item", out)

    try:
        c.execute_transaction(TransactStatements=[
            {"Statement": "UPDATE Btab SET v = v + 1 WHERE pk = 'a' AND sk = 1"},
            {"Statement": "EXISTS(SELECT * FROM Btab WHERE pk = 'a' AND sk = 2 AND v = 99)"},
        ])
        raise AssertionError("the transaction went through")
    except c.exceptions.TransactionCanceledException as e:
        eq([r["Code"] for r in e.response["CancellationReasons"]], ["None", "ConditionalCheckFailed"], "reasons")
    c.execute_transaction(TransactStatements=[
        {"Statement": "UPDATE Btab SET v = v + 1 WHERE pk = 'a' AND sk = 1"},
        {"Statement": "EXISTS(SELECT * FROM Btab WHERE pk = 'a' AND sk = 2 AND v = 2)"},
    ], ClientRequestToken="same-token")
    out = c.execute_transaction(TransactStatements=[
        {"Statement": "SELECT v FROM Btab WHERE pk = 'a' AND sk = 1"},
        {"Statement": "SELECT v FROM Btab WHERE pk = 'a' AND sk = 2"},
    ])
    eq([r.get("Item") for r in out["Responses"]], [{"v": {"N": "2"}}, {"v": {"N": "2"}}], "read transaction")


@case
def errors():
    c = boto3.client("dynamodb")
    make_table(c, "Etab")
    e = expect_error("ValidationException", 400, c.execute_statement, Statement="SELECT * FROM Etab WHERE")
    check(e["Error"]["Message"].startswith("Statement wasn't well formed, can't be processed"), "message", e)
    expect_error("ValidationException", 400, c.execute_statement, Statement="SELECT * FROM Etab WHERE pk = ?")
    expect_error("ResourceNotFoundException", 400, c.execute_statement, Statement="SELECT * FROM Absent")
    e = expect_error("ValidationException", 400, c.execute_statement, Statement="DELETE FROM Etab WHERE pk = 'a'")
    eq(e["Error"]["Message"], "Where clause does not contain a mandatory equality on all key attributes", "missing key")
    c.execute_statement(Statement="INSERT INTO Etab VALUE {'pk': 'a', 'sk': 1}")
    expect_error("DuplicateItemException", 400, c.execute_statement, Statement="INSERT INTO Etab VALUE {'pk': 'a', 'sk': 1}")
    expect_error("ConditionalCheckFailedException", 400, c.execute_statement, Statement="UPDATE Etab SET x = 1 WHERE pk = 'b' AND sk = 1")


run()
