#!/usr/bin/python3
"""Scrapes a ctdbd metrics endpoint and parses it with prometheus_client's own parser (Debian's
python3-prometheus-client), so that a test sees what Prometheus would.

  scrape_metrics.py URL                      every sample, one "name{k=v,...} value" a line
  scrape_metrics.py URL NAME [LABEL=VALUE..] the value of the one sample that matches, or
                                             nothing (exit 1) when none does

Exits 2 when the endpoint cannot be read or the text does not parse.
"""
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def main():
    url = sys.argv[1]
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            ctype = resp.headers.get("Content-Type", "")
            text = resp.read().decode("utf-8")
        samples = [s for f in text_string_to_metric_families(text) for s in f.samples]
    except Exception as e:  # unreachable, HTTP error, or a parse error
        print("scrape failed: %s" % e, file=sys.stderr)
        return 2
    if not ctype.startswith("text/plain; version=0.0.4"):
        print("unexpected Content-Type: %s" % ctype, file=sys.stderr)
        return 2
    if len(sys.argv) == 2:
        for s in samples:
            labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
            print("%s{%s} %s" % (s.name, labels, repr(s.value)))
        return 0
    name = sys.argv[2]
    want = dict(a.split("=", 1) for a in sys.argv[3:])
    for s in samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in want.items()):
            v = s.value
            print(int(v) if v == int(v) else v)
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
