#!/usr/bin/env python3
"""Load benchmark for `giraffe serve`: C concurrent streaming requests for each C (default 1, 4, 16).

Prints, per concurrency: aggregate generated tokens/s, time to first token (mean, p50, p95) and the
per-request decode speed. Starts a server itself (--giraffe and --model; --parallel defaults to the
largest C so every request gets a slot) or measures a running one (--url). Standard library only.

  scripts/bench_serve.py --giraffe build/examples/giraffe --model M.gguf [-c 1,4,16] [-n 64] [--json]
  scripts/bench_serve.py --url http://127.0.0.1:8080 [--api-key K]
"""
import argparse
import concurrent.futures as cf
import http.client
import json
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

WORDS = ("apple river candle tiger violin desert marble ocean pepper rocket silver thunder garden pillow forest "
         "engine castle yellow bridge coffee dragon window summer lemon island guitar planet shadow winter copper "
         "mirror basket").split()


def start_server(a, parallel):
    cmd = [a.giraffe, "serve", "-m", a.model, "--host", "127.0.0.1", "--port", "0", "--parallel", str(parallel),
           "-c", str(parallel * a.ctx_per_slot), *a.server_arg]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        m = re.search(r"listening on (http://\S+)", line)
        if m:
            # Keep draining stderr so the server never blocks on it.
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
            return proc, m.group(1)
        sys.stderr.write(line)
    raise SystemExit("giraffe serve did not start")


def one_request(url, key, prompt, max_tokens, out):
    """Streams one completion; appends {ttft, tokens, decode_s, total_s} (or {error}) to out."""
    u = urllib.parse.urlparse(url)
    body = {"prompt": prompt, "max_tokens": max_tokens, "temperature": 0, "stream": True,
            "stream_options": {"include_usage": True}, "cache_prompt": False}
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = "Bearer " + key
    t0 = time.perf_counter()
    first = last = None
    tokens = 0
    try:
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
        c.request("POST", "/v1/completions", body=json.dumps(body), headers=headers)
        r = c.getresponse()
        if r.status != 200:
            out.append({"error": f"HTTP {r.status}: {r.read()[:200]!r}"})
            return
        while True:
            line = r.fp.readline()
            if not line:
                break
            if not line.startswith(b"data: "):
                continue
            data = line[6:].strip()
            if data == b"[DONE]":
                break
            ev = json.loads(data)
            if "error" in ev:
                out.append({"error": ev["error"].get("message")})
                return
            if ev.get("usage"):
                tokens = ev["usage"]["completion_tokens"]
            if any(ch.get("text") for ch in ev.get("choices", [])):
                last = time.perf_counter()
                first = first or last
        c.close()
    except OSError as e:
        out.append({"error": str(e)})
        return
    if first is None:
        out.append({"error": "no text"})
        return
    out.append({"ttft": first - t0, "tokens": tokens, "decode_s": last - first, "total_s": time.perf_counter() - t0})


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs) + 0.5) - 1))]


def run_level(url, key, c, n_requests, max_tokens):
    results = []
    # Distinct openings: no request finds another's prompt in a slot's cache.
    prompts = [f"{WORDS[i % len(WORDS)].capitalize()} {i}: once upon a time" for i in range(n_requests)]
    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(c) as pool:  # at most c in flight
        list(pool.map(lambda p: one_request(url, key, p, max_tokens, results), prompts))
    wall = time.perf_counter() - t0
    ok = [r for r in results if "error" not in r]
    errors = [r["error"] for r in results if "error" in r]
    ttft = [r["ttft"] for r in ok]
    per_req = [(r["tokens"] - 1) / r["decode_s"] for r in ok if r["tokens"] > 1 and r["decode_s"] > 0]
    return {
        "concurrency": c, "requests": n_requests, "ok": len(ok), "errors": len(errors), "wall_s": wall,
        "generated_tokens": sum(r["tokens"] for r in ok),
        "aggregate_tokens_per_s": sum(r["tokens"] for r in ok) / wall,
        "ttft_mean_s": statistics.mean(ttft) if ttft else None,
        "ttft_p50_s": percentile(ttft, 50) if ttft else None,
        "ttft_p95_s": percentile(ttft, 95) if ttft else None,
        "per_request_tokens_per_s": statistics.mean(per_req) if per_req else None,
        "first_error": errors[0] if errors else None,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running server (else --giraffe and --model start one)")
    ap.add_argument("--giraffe", help="the giraffe binary")
    ap.add_argument("--model", help="the GGUF model")
    ap.add_argument("--api-key")
    ap.add_argument("-c", "--concurrency", default="1,4,16", help="comma-separated levels (default 1,4,16)")
    ap.add_argument("-r", "--requests", type=int, default=0, help="requests per level (default: 2 x concurrency, at least 4)")
    ap.add_argument("-n", "--max-tokens", type=int, default=64)
    ap.add_argument("--parallel", type=int, default=0, help="server slots when starting one (default: the largest level)")
    ap.add_argument("--ctx-per-slot", type=int, default=512)
    ap.add_argument("--server-arg", action="append", default=[], help="one more flag for the started server (repeatable)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    levels = [int(x) for x in a.concurrency.split(",")]
    proc = None
    url = a.url
    if not url:
        if not (a.giraffe and a.model):
            ap.error("give --url, or --giraffe and --model")
        proc, url = start_server(a, a.parallel or max(levels))
    try:
        rows = []
        for c in levels:
            rows.append(run_level(url, a.api_key, c, a.requests or max(4, 2 * c), a.max_tokens))
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
    if a.json:
        print(json.dumps(rows, indent=2))
        return
    fmt = lambda x, f="{:.3f}": "-" if x is None else f.format(x)
    print("| concurrency | requests | ok | aggregate tok/s | TTFT mean s | TTFT p50 s | TTFT p95 s | per-request tok/s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['concurrency']} | {r['requests']} | {r['ok']} | {r['aggregate_tokens_per_s']:.1f} | {fmt(r['ttft_mean_s'])} | "
              f"{fmt(r['ttft_p50_s'])} | {fmt(r['ttft_p95_s'])} | {fmt(r['per_request_tokens_per_s'], '{:.1f}')} |")
    for r in rows:
        if r["first_error"]:
            print(f"concurrency {r['concurrency']}: {r['errors']} errors, e.g. {r['first_error']}")


if __name__ == "__main__":
    main()
