"""Decodes the OTLP request bodies a test captured, in the order they were sent, with the
official `opentelemetry-proto` package, checks the semantics OTLP receivers rely on, and prints
a JSON summary for the Rust test to compare with what it recorded.

usage: python3 otlp_check.py cumulative|delta SERVICE BODY...

Checks (an AssertionError names the series and the push):
- every request has one resource with `service.name` = SERVICE and one scope `metered-runtime`;
- sums and histograms have the temporality asked for (up-down counters: cumulative);
- cumulative: monotonic sums never decrease, histogram counts and every bucket never decrease,
  and each series' start time never changes; delta: every point starts where the series'
  previous point ended;
- exponential histograms: zero_count plus the bucket counts equal count; explicit ones: the
  bucket counts equal count, one more count than bounds;
- a point's start is not after its time.

Summary: for each series (`name{k=v,...}`) the last cumulative value or the sum of the deltas,
and for histograms the count, sum and buckets (OTLP index -> count) accumulated the same way.
"""

import gzip
import json
import sys

from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.metrics.v1 import metrics_pb2

CUMULATIVE = metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE
DELTA = metrics_pb2.AGGREGATION_TEMPORALITY_DELTA


def key(metric, point):
    attrs = ",".join(
        f"{a.key}={a.value.string_value}" for a in point.attributes
    )
    return f"{metric.name}{{{attrs}}}"


def main():
    mode, service, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
    want = CUMULATIVE if mode == "cumulative" else DELTA
    last = {}  # series -> (start, time, value or (count, buckets))
    totals = {}
    hists = {}
    kinds = {}
    points = 0
    for push, path in enumerate(paths):
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        req = metrics_service_pb2.ExportMetricsServiceRequest()
        req.ParseFromString(raw)
        assert len(req.resource_metrics) == 1, f"push {push}: resources"
        rm = req.resource_metrics[0]
        attrs = {a.key: a.value.string_value for a in rm.resource.attributes}
        assert attrs.get("service.name") == service, f"push {push}: resource {attrs}"
        assert len(rm.scope_metrics) == 1, f"push {push}: scopes"
        sm = rm.scope_metrics[0]
        assert sm.scope.name == "metered-runtime" and sm.scope.version, f"scope {sm.scope}"
        names = [m.name for m in sm.metrics]
        assert len(names) == len(set(names)), f"push {push}: a metric twice: {names}"
        for m in sm.metrics:
            data = m.WhichOneof("data")
            for p in getattr(m, data).data_points:
                points += 1
                k = key(m, p)
                kinds[k] = data
                where = f"push {push}, {k}"
                assert p.start_time_unix_nano <= p.time_unix_nano, f"{where}: start after time"
                prev = last.get(k)
                if data == "gauge":
                    v = p.as_int if p.HasField("as_int") else p.as_double
                    totals[k] = v
                    last[k] = (0, p.time_unix_nano, v)
                    continue
                temporality = getattr(m, data).aggregation_temporality
                if data == "sum" and not m.sum.is_monotonic:
                    assert temporality == CUMULATIVE, f"{where}: up-down not cumulative"
                else:
                    assert temporality == want, f"{where}: temporality {temporality}"
                if temporality == CUMULATIVE and prev is not None:
                    assert p.start_time_unix_nano == prev[0], (
                        f"{where}: start moved {prev[0]} -> {p.start_time_unix_nano}"
                    )
                if temporality == DELTA and prev is not None:
                    assert p.start_time_unix_nano == prev[1], (
                        f"{where}: delta starts at {p.start_time_unix_nano}, previous ended {prev[1]}"
                    )
                if data == "sum":
                    v = p.as_int if p.HasField("as_int") else p.as_double
                    if temporality == CUMULATIVE:
                        if m.sum.is_monotonic and prev is not None:
                            assert v >= prev[2], f"{where}: sum went down {prev[2]} -> {v}"
                        totals[k] = v
                    else:
                        assert v >= 0, f"{where}: negative delta {v}"
                        totals[k] = totals.get(k, 0) + v
                    last[k] = (p.start_time_unix_nano, p.time_unix_nano, v)
                    continue
                if data == "exponential_histogram":
                    buckets = {
                        p.positive.offset + i: c
                        for i, c in enumerate(p.positive.bucket_counts)
                        if c
                    }
                    assert not p.negative.bucket_counts, f"{where}: negative buckets"
                    assert p.zero_count + sum(buckets.values()) == p.count, (
                        f"{where}: zero {p.zero_count} + buckets {sum(buckets.values())} != count {p.count}"
                    )
                    extra = {"scale": p.scale, "zero": p.zero_count}
                else:
                    assert data == "histogram", f"{where}: {data}"
                    assert len(p.bucket_counts) == len(p.explicit_bounds) + 1, f"{where}: counts"
                    assert sum(p.bucket_counts) == p.count, f"{where}: bucket counts != count"
                    buckets = {i: c for i, c in enumerate(p.bucket_counts) if c}
                    extra = {"bounds": list(p.explicit_bounds)}
                h = hists.setdefault(k, {"count": 0, "sum": 0.0, "buckets": {}, "zero": 0})
                if temporality == CUMULATIVE:
                    if prev is not None:
                        assert p.count >= prev[2][0], f"{where}: count went down"
                        for i, c in prev[2][1].items():
                            assert buckets.get(i, 0) >= c, f"{where}: bucket {i} went down"
                    h.update({"count": p.count, "sum": p.sum, "buckets": dict(buckets)})
                    h.update(extra)
                else:
                    h["count"] += p.count
                    h["sum"] += p.sum
                    for i, c in buckets.items():
                        h["buckets"][i] = h["buckets"].get(i, 0) + c
                    for x, v in extra.items():
                        h[x] = h.get(x, 0) + v if x == "zero" else v
                if p.HasField("min"):
                    h["min"] = min(h.get("min", p.min), p.min)
                    h["max"] = max(h.get("max", p.max), p.max)
                last[k] = (p.start_time_unix_nano, p.time_unix_nano, (p.count, buckets))
    for h in hists.values():
        h["buckets"] = {str(i): c for i, c in sorted(h["buckets"].items())}
    print(json.dumps({"pushes": len(paths), "points": points, "totals": totals,
                      "histograms": hists, "kinds": kinds}, sort_keys=True))


main()
