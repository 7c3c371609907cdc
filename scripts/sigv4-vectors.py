#!/usr/bin/env python3
"""Writes reference AWS Signature Version 4 signatures made by botocore, for Hitch's own signer to match.

Run once; the output is committed as Tests/HitchTests/Platforms/Vectors/sigv4.json. Each vector fixes the time,
credentials, region, service, method, URL, headers and body, and records botocore's Authorization header.
Usage: python3 scripts/sigv4-vectors.py > Tests/HitchTests/Platforms/Vectors/sigv4.json
"""
import datetime
import json
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

CASES = [
    {"name": "sts GetCallerIdentity", "method": "POST", "url": "https://sts.eu-west-1.amazonaws.com/",
     "region": "eu-west-1", "service": "sts", "body": "Action=GetCallerIdentity&Version=2011-06-15",
     "headers": {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, "token": None},
    {"name": "sts AssumeRole with external id", "method": "POST", "url": "https://sts.us-east-1.amazonaws.com/",
     "region": "us-east-1", "service": "sts",
     "body": "Action=AssumeRole&ExternalId=hitch-0f1e&RoleArn=arn%3Aaws%3Aiam%3A%3A210987654321%3Arole%2Fpartner&RoleSessionName=hitch&Version=2011-06-15",
     "headers": {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, "token": None},
    {"name": "temporary credentials", "method": "POST", "url": "https://sts.eu-central-1.amazonaws.com/",
     "region": "eu-central-1", "service": "sts", "body": "Action=GetCallerIdentity&Version=2011-06-15",
     "headers": {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
     "token": "FwoGZXIvYXdzEBYaDHqa0AP1/session+token=="},
    {"name": "GET with a query and a port", "method": "GET",
     "url": "http://127.0.0.1:5000/path/with space/?b=2&a=1&c=x%2Fy", "region": "us-west-2", "service": "sts",
     "body": "", "headers": {}, "token": None},
]

KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
WHEN = datetime.datetime(2026, 11, 30, 12, 34, 56)


def sign(case):
    request = AWSRequest(method=case["method"], url=case["url"], data=case["body"], headers=dict(case["headers"]))
    credentials = Credentials(KEY, SECRET, case["token"])
    with mock.patch("botocore.auth.get_current_datetime", return_value=WHEN):
        SigV4Auth(credentials, case["service"], case["region"]).add_auth(request)
    return {
        **case, "accessKeyId": KEY, "secretAccessKey": SECRET, "time": WHEN.strftime("%Y%m%dT%H%M%SZ"),
        "authorization": request.headers["Authorization"],
    }


print(json.dumps([sign(case) for case in CASES], indent=2))
