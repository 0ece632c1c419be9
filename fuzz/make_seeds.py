#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into corpus/<target>/ (small, valid-looking files that
start the fuzzer past the header and code checks). The committed corpora were grown from these and
minimised with `cargo fuzz cmin`; run this again only to start over."""
import io
import json
import pathlib
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"

# One header and a few rows per tabular kind, with the codes the fuzz context knows (src/lib.rs).
TABLES = {
    "population": [
        ["territory_code", "year", "population"],
        ["X", "2024", "201500"], ["RJ-AISP02", "2014", "244783"], ["Z", "24", "-3"],
    ],
    "units": [
        ["code", "name", "institution", "territory_codes", "valid_from", "valid_to"],
        ["PM-1BPM", "1º BPM", "PM", "X", "2020-01-01", ""],
        ["PM-2BPM", "2º BPM", "pm", "X;Y|MUN1", "01/01/2020", "31/12/2024"],
    ],
    "operators": [
        ["registration", "name", "institution", "cpf"],
        ["123456", "Ana Silva", "PM", "529.982.247-25"], ["654321", "João Lima", "PC", ""],
    ],
    "assignments": [
        ["registration", "unit_code", "from", "to", "kind"],
        ["123456", "PM-1BPM", "2020-01-01", "", "lotacao"],
        ["654321", "PM-2BPM", "2024-04-01", "2024-06-30", "disposição"],
    ],
    "absences": [
        ["registration", "from", "to", "reason"],
        ["123456", "2024-01-10", "2024-03-04", "licença"],
    ],
    "crime-map": [
        ["source_code", "crime"],
        ["C01157V", "roubo_veiculo"], ["X1", "furto_veiculo"],
    ],
    "occurrences": [
        ["id", "occurred_at", "crime", "lat", "lon", "territory_code", "victims", "unit_code"],
        ["BO-1", "2024-03-01T10:00:00", "roubo_veiculo", "0.75", "0.75", "", "", "PM-1BPM"],
        ["BO-2", "01/03/2024 22:30", "C01157V", "", "", "X", "2", ""],
        ["AV-001", "2024-01-05T10:00", "roubo_transeunte", "-16.688566970", "-49.273485884", "", "", ""],
    ],
    "counts": [
        ["territory_code", "month", "crime", "count"],
        ["X", "2024-01", "roubo_veiculo", "4"], ["RJ-AISP02", "2014-02", "homicidio_doloso", "0"],
    ],
    "seizures": [
        ["bo_number", "seized_on", "unit_code", "registrations", "flagrante", "weapon_kind", "caliber",
         "serial", "brand", "item"],
        ["1004/2026", "2026-10-25", "PM-1BPM", "P100037;P100111", "sim", "pistola", ".40", "AA444", "Taurus", ""],
        ["2999/2026", "25/10/2026", "PM-7BPM", "P100925", "não", "", "", "", "", "2"],
    ],
    "forensic-reports": [
        ["bo_number", "serial", "expert_registration", "signed_on"],
        ["1004/2026", "AA444", "654321", "2026-10-30"],
    ],
}
KINDS = list(TABLES)  # the order of TABULAR in src/lib.rs
assert KINDS == ["population", "units", "operators", "assignments", "absences", "crime-map",
                 "occurrences", "counts", "seizures", "forensic-reports"]


def csv(rows, sep=",", crlf=False):
    nl = "\r\n" if crlf else "\n"
    return (nl.join(sep.join(r) for r in rows) + nl)


def xlsx(rows, refs=None):
    """A minimal workbook (stored, not deflated, inline strings) that calamine reads; `refs` replaces
    the cell references that it names."""
    def cell(r, c, v):
        ref = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[c] + str(r + 1)
        ref = (refs or {}).get(ref, ref)
        try:
            float(v)
            return f'<c r="{ref}"><v>{v}</v></c>'
        except ValueError:
            v = v.replace("&", "&amp;").replace("<", "&lt;")
            return f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>'
    data = "".join(
        f'<row r="{r + 1}">' + "".join(cell(r, c, v) for c, v in enumerate(row) if v) + "</row>"
        for r, row in enumerate(rows))
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Planilha1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{data}</sheetData></worksheet>',
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            z.writestr(info, text)
    return buf.getvalue()


def put(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


for kind, rows in TABLES.items():
    put("table_reader", f"{kind}.csv", csv(rows))
put("table_reader", "occurrences-latin1.csv",
    csv([[f.replace(".", ",") if i in (3, 4) else f for i, f in enumerate(r)] for r in TABLES["occurrences"]]
        + [["BO-3", "2024-03-02", "roubo_veiculo", "", "", "Y", "", "", ""]], sep=";", crlf=True)
    .replace("BO-3", "São José").encode("cp1252"))
put("table_reader", "quoted-bom.csv", b"\xef\xbb\xbf" + b'id,"a ""b"", c"\n"1\n2",x\n')
put("table_reader", "units.xlsx", xlsx(TABLES["units"]))
put("table_reader", "occurrences.xlsx", xlsx(TABLES["occurrences"]))

# kind_rows: first byte = the kind's index in TABULAR (+16: decimal comma), then the rows, fields
# separated by tabs, in the order of the kind's required then optional columns.
for i, (kind, rows) in enumerate(TABLES.items()):
    body = "\n".join("\t".join(r) for r in rows[1:])
    put("kind_rows", f"{kind}", bytes([i]) + body.encode())
put("kind_rows", "occurrences-comma",
    bytes([16 + 6]) + "\n".join("\t".join(f.replace(".", ",") for f in r) for r in TABLES["occurrences"][1:]).encode())

# ipei_sheet: the unit head's seizure spreadsheet, as CSV and XLSX.
seiz = TABLES["seizures"]
put("ipei_sheet", "seizures.csv", csv(seiz))
put("ipei_sheet", "seizures-semicolon.csv", csv(seiz, sep=";", crlf=True).encode("cp1252"))
put("ipei_sheet", "seizures.xlsx", xlsx(seiz))
put("ipei_sheet", "seizures-min.csv", "bo_number,seized_on,unit_code,registrations,flagrante\n"
    "1/2026,2026-10-01,PM-1BPM,,s\n")

# territory_collection: FeatureCollections.
fixture = HERE.parent / "fixtures" / "evaluation" / "territorios.geojson"
put("territory_collection", "evaluation.geojson",
    json.dumps(json.load(open(fixture)), separators=(",", ":")))
square = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]
put("territory_collection", "versions.geojson", json.dumps({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"code": "AISP1", "name": "Central", "kind": "AISP", "ibge": "5208707",
                                       "valid_from": "01/01/2024", "valid_to": "2024-12-31", "synthetic": True},
     "geometry": {"type": "Polygon", "coordinates": square}},
    {"type": "Feature", "properties": {"code": "AISP1", "name": "Central", "kind": "aisp", "parent": "MUN1",
                                       "valid_from": "2025-01-01"},
     "geometry": {"type": "MultiPolygon", "coordinates": [square, [[[2, 2], [3, 2], [2, 3], [2, 2]]]]}},
    {"type": "Feature", "properties": {"code": "B", "name": "bow", "kind": "ais"},
     "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]],
                                                     [[0.1, 0.1], [0.2, 0.1], [0.2, 0.2], [0.1, 0.1]]]}},
    {"type": "Feature", "properties": {"code": "C", "name": "sem geometria", "kind": "municipality"}, "geometry": None},
]}, separators=(",", ":")))

# A known crash, kept to check a calamine update against (README "Findings"): a seven-letter cell
# reference overflows calamine 0.38's column arithmetic (a panic with overflow checks on).
d = HERE / "regressions"
d.mkdir(exist_ok=True)
(d / "calamine-cell-ref-overflow.xlsx").write_bytes(
    xlsx([["bo_number", "seized_on"], ["1/2026", "2026-10-01"]], refs={"B2": "ZZZZZZZ2"}))
