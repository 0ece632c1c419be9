# Every operation of the OpenAPI document, called by every key the test gives, each answer checked
# against the document: its status must be one the operation lists, its media type one that status
# lists, and its body valid under that schema (JSON Schema 2020-12, as OpenAPI 3.1 writes it).
# Parameters are the document's own examples, except the ids the test made (argv[3]).
# Prints, per "METHOD /path", the status each key got.
import json, sys
import requests
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

base, keys, overrides, upload = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
doc = requests.get(base + "/api/v1/openapi.json").json()
validate(doc)
api = base + doc["servers"][0]["url"]


def check(op_id, role, op, r):
    status = str(r.status_code)
    assert status in op["responses"], (op_id, role, status, r.text[:400])
    content = op["responses"][status].get("content")
    if not content:
        return
    media = r.headers.get("Content-Type", "").split(";")[0]
    assert media in content, (op_id, role, status, media)
    schema = {"components": doc["components"], **content[media]["schema"]}
    errors = sorted(Draft202012Validator(schema).iter_errors(r.json()), key=str)
    assert not errors, (op_id, role, status, [e.message for e in errors[:3]])


seen = {}
for path, methods in doc["paths"].items():
    for method, op in methods.items():
        op_id = op["operationId"]
        where = {p["name"]: p["in"] for p in op.get("parameters", [])}
        values = {p["name"]: p["example"] for p in op.get("parameters", []) if "example" in p}
        values.update(overrides.get(op_id, {}))
        url = api + path.format(**{k: v for k, v in values.items() if where.get(k) == "path"})
        query = {k: v for k, v in values.items() if where.get(k) == "query"}
        body, media = None, None
        if "requestBody" in op:
            content = op["requestBody"]["content"]
            if "text/csv" in content:
                body, media = open(upload, "rb").read(), "text/csv"
            else:
                media = "application/json"
                body = json.dumps(content[media]["example"])
        statuses = {}
        for role, key in keys.items():
            headers = {"Authorization": "Bearer " + key}
            if media:
                headers["Content-Type"] = media
            r = requests.request(method.upper(), url, params=query, data=body, headers=headers)
            check(op_id, role, op, r)
            statuses[role] = r.status_code
        seen[method.upper() + " /api/v1" + path] = statuses
print(json.dumps(seen))
