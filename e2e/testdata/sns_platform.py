"""SNS mobile push and SMS through boto3's client (query protocol)."""

import json
import urllib.parse
import urllib.request

import boto3

from s3check import ENDPOINT, case, check, eq, expect_error, run


def sns():
    return boto3.client("sns")


def outbox(**query):
    with urllib.request.urlopen(ENDPOINT + "/_nimbus/sns/outbox?" + urllib.parse.urlencode(query)) as r:
        return json.load(r)["Messages"]


def opt_out(number):
    req = urllib.request.Request(ENDPOINT + "/_nimbus/sns/opt-out?" + urllib.parse.urlencode({"phoneNumber": number}), method="POST")
    with urllib.request.urlopen(req) as r:
        eq(r.status, 200, "opt-out")


@case
def platform():
    c = sns()
    app = c.create_platform_application(Name="py-app", Platform="APNS_SANDBOX",
                                        Attributes={"PlatformPrincipal": "cert", "PlatformCredential": "key"})["PlatformApplicationArn"]
    eq(app, "arn:aws:sns:us-east-1:000000000000:app/APNS_SANDBOX/py-app", "application ARN")
    attrs = c.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"]
    check("PlatformCredential" not in attrs and "PlatformPrincipal" not in attrs, "credentials shown:", attrs)
    eq(attrs.get("Enabled"), "true", "Enabled")
    expect_error("InvalidParameter", 400, c.create_platform_application, Name="x", Platform="IOS",
                 Attributes={"PlatformCredential": "k", "PlatformPrincipal": "p"})

    ep = c.create_platform_endpoint(PlatformApplicationArn=app, Token="abc123", CustomUserData="u")["EndpointArn"]
    check(ep.startswith("arn:aws:sns:us-east-1:000000000000:endpoint/APNS_SANDBOX/py-app/"), "endpoint ARN", ep)
    eq(c.create_platform_endpoint(PlatformApplicationArn=app, Token="abc123", CustomUserData="u")["EndpointArn"], ep, "idempotent")
    err = expect_error("InvalidParameter", 400, c.create_platform_endpoint, PlatformApplicationArn=app, Token="abc123", CustomUserData="v")
    eq(err["Error"]["Message"],
       f"Invalid parameter: Token Reason: Endpoint {ep} already exists with the same Token, but different attributes.", "message")
    eq(c.get_endpoint_attributes(EndpointArn=ep)["Attributes"], {"Enabled": "true", "Token": "abc123", "CustomUserData": "u"}, "attributes")

    c.publish(TargetArn=ep, MessageStructure="json", Message=json.dumps({"default": "d", "APNS_SANDBOX": json.dumps({"aps": {"alert": "hi"}})}))
    box = outbox(endpoint=ep)
    eq(len(box), 1, "pushed")
    eq(json.loads(box[0]["Message"]), {"aps": {"alert": "hi"}}, "APNS_SANDBOX payload")

    c.set_endpoint_attributes(EndpointArn=ep, Attributes={"Enabled": "false"})
    expect_error("EndpointDisabled", 400, c.publish, TargetArn=ep, Message="m")

    eps = c.list_endpoints_by_platform_application(PlatformApplicationArn=app)["Endpoints"]
    eq([e["EndpointArn"] for e in eps], [ep], "endpoints")
    apps = [a["PlatformApplicationArn"] for a in c.get_paginator("list_platform_applications").paginate().build_full_result()["PlatformApplications"]]
    eq(apps, [app], "applications")

    c.delete_endpoint(EndpointArn=ep)
    c.delete_endpoint(EndpointArn=ep)
    expect_error("NotFound", 404, c.get_endpoint_attributes, EndpointArn=ep)
    c.delete_platform_application(PlatformApplicationArn=app)
    expect_error("NotFound", 404, c.get_platform_application_attributes, PlatformApplicationArn=app)


@case
def sms():
    c = sns()
    c.set_sms_attributes(attributes={"DefaultSMSType": "Transactional", "DefaultSenderID": "Nimbus"})
    eq(c.get_sms_attributes(attributes=["DefaultSMSType"])["attributes"], {"DefaultSMSType": "Transactional"}, "filtered")
    eq(c.get_sms_attributes()["attributes"], {"DefaultSMSType": "Transactional", "DefaultSenderID": "Nimbus"}, "all")
    expect_error("InvalidParameter", 400, c.set_sms_attributes, attributes={"DefaultSMSType": "Loud"})

    opt_out("+15550111")
    eq(c.check_if_phone_number_is_opted_out(phoneNumber="+15550111")["isOptedOut"], True, "opted out")
    eq(c.check_if_phone_number_is_opted_out(phoneNumber="+15550112")["isOptedOut"], False, "not opted out")
    expect_error("InvalidParameter", 400, c.check_if_phone_number_is_opted_out, phoneNumber="call me")
    eq(c.list_phone_numbers_opted_out()["phoneNumbers"], ["+15550111"], "opted-out list")

    c.publish(PhoneNumber="+15550111", Message="not sent")
    c.publish(PhoneNumber="+15550112", Message="sent")
    eq([m["Endpoint"] for m in outbox(protocol="sms", type="Notification")], ["+15550112"], "texted")
    c.opt_in_phone_number(phoneNumber="+15550111")
    eq(c.list_phone_numbers_opted_out()["phoneNumbers"], [], "after opt-in")

    eq(c.get_sms_sandbox_account_status()["IsInSandbox"], False, "sandbox")
    c.create_sms_sandbox_phone_number(PhoneNumber="+15550113", LanguageCode="en-US")
    otp = outbox(type="SMSSandboxVerification", endpoint="+15550113")[0]["Token"]
    expect_error("VerificationException", 400, c.verify_sms_sandbox_phone_number, PhoneNumber="+15550113",
                 OneTimePassword="1234567" if otp != "1234567" else "7654321")
    c.verify_sms_sandbox_phone_number(PhoneNumber="+15550113", OneTimePassword=otp)
    eq(c.list_sms_sandbox_phone_numbers()["PhoneNumbers"], [{"PhoneNumber": "+15550113", "Status": "Verified"}], "sandbox numbers")
    c.delete_sms_sandbox_phone_number(PhoneNumber="+15550113")
    expect_error("ResourceNotFound", 404, c.delete_sms_sandbox_phone_number, PhoneNumber="+15550113")
    eq(c.list_origination_numbers()["PhoneNumbers"], [], "origination numbers")


@case
def delivery_policy():
    c = sns()
    topic = c.create_topic(Name="py-policies")["TopicArn"]
    bad = {"healthyRetryPolicy": {"numRetries": 2, "numNoDelayRetries": 2, "numMaxDelayRetries": 1,
                                  "minDelayTarget": 1, "maxDelayTarget": 2}}
    expect_error("InvalidParameter", 400, c.set_topic_attributes, TopicArn=topic, AttributeName="DeliveryPolicy",
                 AttributeValue=json.dumps({"http": {"defaultHealthyRetryPolicy": bad["healthyRetryPolicy"]}}))
    expect_error("InvalidParameter", 400, c.subscribe, TopicArn=topic, Protocol="http", Endpoint="http://127.0.0.1:9/x",
                 Attributes={"DeliveryPolicy": json.dumps(bad)})
    expect_error("InvalidParameter", 400, c.subscribe, TopicArn=topic, Protocol="http", Endpoint="http://127.0.0.1:9/x",
                 Attributes={"DeliveryPolicy": json.dumps({"throttlePolicy": {"maxReceivesPerSecond": 0}})})
    good = {"healthyRetryPolicy": {"numRetries": 5, "numNoDelayRetries": 1, "numMinDelayRetries": 1, "numMaxDelayRetries": 1,
                                   "minDelayTarget": 1, "maxDelayTarget": 10, "backoffFunction": "geometric"},
            "throttlePolicy": {"maxReceivesPerSecond": 3}}
    sub = c.subscribe(TopicArn=topic, Protocol="http", Endpoint="http://127.0.0.1:9/x",
                      Attributes={"DeliveryPolicy": json.dumps(good)}, ReturnSubscriptionArn=True)["SubscriptionArn"]
    eff = json.loads(c.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["EffectiveDeliveryPolicy"])
    eq(eff["healthyRetryPolicy"]["backoffFunction"], "geometric", "effective backoff")
    eq(eff["throttlePolicy"], {"maxReceivesPerSecond": 3}, "effective throttle")


run()
