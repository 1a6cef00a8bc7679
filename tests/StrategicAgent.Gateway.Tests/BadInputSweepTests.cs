using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Gateway.Tests;

/// <summary>
/// The bad-input sweep: every /api/v1 operation of the gateway's OpenAPI document, over a real
/// socket, with bad bodies (malformed, wrong root, wrong type per property, null, NUL, huge,
/// too deep, too large, wrong content type), bad path values and bad query strings. Whatever the
/// input, the answer is never a 5xx (every downstream is up), every error is a ProblemDetails
/// without a .NET type name, exception text or stack trace, nothing hangs, and the inputs that
/// are certainly the caller's mistake get their 4xx (400, 404, 413, 415).
/// </summary>
public sealed partial class BadInputSweepTests(GatewayFixture fx, ITestOutputHelper output)
{
    private static readonly TimeSpan PerRequest = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A body each operation accepts; the sweep changes one thing at a time in it so the change is
    /// what the gateway judges (not a missing required field). Keyed "METHOD /path".
    /// </summary>
    private static readonly Dictionary<string, string> ValidBodies = new()
    {
        ["POST /api/v1/sql/validate"] = """{"sql": "SELECT 1"}""",
        ["POST /api/v1/agent/ask"] = """{"question": "how many issues were created last week"}""",
        ["POST /api/v1/agent/ask/stream"] = """{"question": "how many issues were created last week"}""",
        ["POST /api/v1/models/{name}/train"] = """{"deploy_strategy": "none"}""",
        ["POST /api/v1/models/{name}/deploy"] = """{"strategy": "best_score"}""",
        ["POST /api/v1/predictions/trajectory"] = """{"epic_keys": ["EP-1"]}""",
        ["POST /api/v1/predictions/complexity"] = """{"issue_keys": ["AB-1"]}""",
        ["POST /api/v1/predictions/rework"] = """{"pull_requests": ["repo#1"]}""",
        ["POST /api/v1/predictions/unified"] = """{"issue_keys": ["AB-1"]}""",
        ["POST /api/v1/predictions/forecast"] = """{"epic_keys": ["EP-1"], "by": "2030-03-01", "draws": 2000, "seed": 7}""",
        ["POST /api/v1/alerts/{id}/ack"] = """{"acknowledged_by": "sweep"}""",
        ["POST /api/v1/pins"] = """{"title": "sweep", "questions": ["how many issues"]}""",
    };

    /// <summary>
    /// Properties that take one of a closed set of words (the OpenAPI document types them as strings):
    /// a word outside the set is the caller's mistake, 400.
    /// </summary>
    private static readonly Dictionary<string, string> ClosedSets = new()
    {
        ["deploy_strategy"] = "fastest",
        ["strategy"] = "fastest",
    };

    /// <summary>Path values the operations accept (with a downstream fake behind them).</summary>
    private static readonly Dictionary<string, string> ValidPathValues = new()
    {
        ["name"] = "trajectory",
        ["id"] = "1",
        ["requestId"] = "sweep-run",
    };

    [Fact]
    public async Task Every_operation_has_a_valid_request_the_gateway_accepts()
    {
        var ops = await OperationsAsync();
        Assert.True(ops.Count >= 20, $"only {ops.Count} operations in the OpenAPI document");
        using var http = Client(fx.SweepKey);
        var failures = new List<string>();
        foreach (var op in ops)
        {
            if (op.HasBody && !ValidBodies.ContainsKey(op.Key))
            {
                failures.Add($"{op.Key}: no valid body in the sweep (add one to ValidBodies)");
                continue;
            }
            var (status, body) = await SendAsync(http, new Case("valid", op, op.Method, op.PathWith(ValidPathValues),
                op.HasBody ? Json(ValidBodies[op.Key]) : null, null));
            // 404/409 are answers about the data (no run 'sweep-run', a full dashboard), not about the request's shape.
            if (status is 0 or (>= 400 and not (404 or 409)))
            {
                failures.Add($"{op.Key}: the valid request got {status}: {Shorten(body)}");
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task Bad_bodies_get_4xx_problems_never_a_5xx_or_internals()
    {
        var cases = (await OperationsAsync()).Where(o => o.HasBody).SelectMany(BodyCases).ToList();
        Assert.True(cases.Count > 200, $"only {cases.Count} body cases");
        await SweepAsync(cases);
    }

    [Fact]
    public async Task Bad_path_values_and_query_strings_get_4xx_problems_never_a_5xx_or_internals()
    {
        var ops = await OperationsAsync();
        var cases = ops.SelectMany(PathCases).Concat(ops.SelectMany(QueryCases)).ToList();
        Assert.True(cases.Count > 50, $"only {cases.Count} path and query cases");
        await SweepAsync(cases);
    }

    /// <summary>
    /// An encoded NUL in the path is the one refusal the gateway cannot shape: Kestrel's URL decoder throws
    /// on <c>%00</c> while it parses the request line, and Kestrel writes its own empty 400 and closes the
    /// connection before any middleware, exception handler or status-code page runs (there is no hook for
    /// that response; docs/api.md, "Errors"). So the bare 400 is held to what it can promise, byte for byte
    /// on the wire: status 400, an empty body, no <c>Server</c> header, nothing internal in any header —
    /// for every operation of the OpenAPI document, with and without a key, and for a path no route has.
    /// </summary>
    [Fact]
    public async Task An_encoded_NUL_in_the_path_is_a_bare_400_that_names_nothing_internal()
    {
        var ct = TestContext.Current.CancellationToken;
        var targets = (await OperationsAsync())
            .Select(op => (op.Method.Method, "/" + op.PathWith(op.PathParameters.ToDictionary(p => p.Name, _ => "a%00b"), encode: false)
                + (op.PathParameters.Count == 0 ? "%00" : "")))
            .Append(("GET", "/api/v1/no-such-route/%00"))
            .Append(("GET", "/%00"))
            .ToList();
        var failures = new List<string>();
        foreach (var (method, target) in targets)
        {
            foreach (var key in new[] { fx.SweepKey, null })
            {
                var (statusLine, headers, body) = await RawAsync(method, target, key, ct);
                var who = $"{method} {target} ({(key is null ? "no key" : "a key")})";
                if (statusLine != "HTTP/1.1 400 Bad Request")
                {
                    failures.Add($"{who}: '{statusLine}'");
                }
                if (body.Length != 0 || headers.GetValueOrDefault("content-length") != "0")
                {
                    failures.Add($"{who}: a body ({body.Length} bytes): {Shorten(body)}");
                }
                if (headers.ContainsKey("server"))
                {
                    failures.Add($"{who}: names its web server ('Server: {headers["server"]}')");
                }
                if (headers.Select(h => ErrorLeaks.Find($"{h.Key}: {h.Value}")).FirstOrDefault(l => l is not null) is { } leak)
                {
                    failures.Add($"{who}: a header names internals ('{leak}')");
                }
            }
        }
        Assert.True(targets.Count >= 20, $"only {targets.Count} paths");
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    /// <summary>One HTTP/1.1 request as raw bytes on a new connection (an HttpClient would not show what Kestrel writes, nor send every byte as given).</summary>
    private async Task<(string StatusLine, Dictionary<string, string> Headers, string Body)> RawAsync(string method, string target, string? key, CancellationToken ct)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(fx.Gateway.BaseAddress.Host, fx.Gateway.BaseAddress.Port, ct);
        var stream = tcp.GetStream();
        var request = $"{method} {target} HTTP/1.1\r\nHost: {fx.Gateway.BaseAddress.Authority}\r\n"
            + (key is null ? "" : $"X-Api-Key: {key}\r\n")
            + (method == "POST" ? "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}" : "Content-Length: 0\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(PerRequest);
        using var reader = new StreamReader(stream, Encoding.Latin1);
        // Kestrel closes the connection after a refused request line: read to the end.
        var text = await reader.ReadToEndAsync(cts.Token);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = (split < 0 ? text : text[..split]).Split("\r\n");
        var headers = head.Skip(1).Select(h => h.Split(':', 2)).Where(h => h.Length == 2)
            .ToDictionary(h => h[0].Trim().ToLowerInvariant(), h => h[1].Trim());
        return (head[0], headers, split < 0 ? "" : text[(split + 4)..]);
    }

    [Fact]
    public async Task Every_operation_refuses_a_missing_or_unknown_key_with_a_401_problem()
    {
        var failures = new List<string>();
        foreach (var key in new string?[] { null, "sa_not-a-real-key", fx.RevokedKey, "x\u00e9" })
        {
            using var http = Client(key);
            foreach (var op in await OperationsAsync())
            {
                var c = new Case($"key {(key is null ? "missing" : "bad")}", op, op.Method, op.PathWith(ValidPathValues),
                    op.HasBody ? Json(ValidBodies.GetValueOrDefault(op.Key, "{}")) : null, [401]);
                failures.AddRange(Judge(c, await SendAsync(http, c)));
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    private async Task SweepAsync(List<Case> cases)
    {
        using var http = Client(fx.SweepKey);
        Assert.Null(await ErrorLeaks.SweepAsync(cases, (c, _) => SendAsync(http, c), Judge, c => $"{c.Op.Key} [{c.Name}]", a => a.Elapsed,
            output, "requests", TestContext.Current.CancellationToken));
    }

    // ---- the cases -------------------------------------------------------------------------

    private static IEnumerable<Case> BodyCases(Operation op)
    {
        var path = op.PathWith(ValidPathValues);
        int[] badRequest = [400];
        int[]? emptyIsFine = op.BodyRequired ? badRequest : null;
        Case C(string name, HttpContent content, int[]? expect) => new(name, op, op.Method, path, content, expect);

        yield return C("truncated JSON", Json("""{"a": """), badRequest);
        yield return C("not JSON", Json("not json"), badRequest);
        yield return C("trailing comma", Json("""{"a": 1,}"""), badRequest);
        yield return C("two documents", Json("{} {}"), badRequest);
        // Invalid UTF-8 in a property the endpoint reads (an unknown property's value is skipped unread).
        var text = op.BodyProperties.FirstOrDefault(p => Kind(Resolve(p.Schema, op.Document)) is "string" or "array");
        if (text.Name is not null)
        {
            var array = Kind(Resolve(text.Schema, op.Document)) == "array";
            yield return C($"{text.Name}: invalid UTF-8", Bytes([.. Encoding.UTF8.GetBytes($"{{\"{text.Name}\": {(array ? "[" : "")}\"a"), 0xC3, 0x28,
                .. Encoding.UTF8.GetBytes($"\"{(array ? "]" : "")}}}")]), badRequest);
        }
        yield return C("root array", Json("[]"), badRequest);
        yield return C("root string", Json("\"text\""), badRequest);
        yield return C("root number", Json("42"), badRequest);
        yield return C("root true", Json("true"), badRequest);
        yield return C("root null", Json("null"), emptyIsFine);
        yield return C("empty body", Json(""), emptyIsFine);
        yield return C("nesting 1000 deep", Json("{\"a\":" + new string('[', 1000) + new string(']', 1000) + "}"), badRequest);
        yield return C("text/plain", new StringContent(ValidBodies[op.Key], Encoding.UTF8, "text/plain"), [415]);
        yield return C("no content type", NoContentType(ValidBodies[op.Key]), [415]);
        yield return C("body over 1 MiB", Json($$"""{"x": "{{new string('x', 1024 * 1024 + 16)}}"}"""), [413]);
        yield return C("unknown properties only", Json("""{"no_such_field": 1, "client_id": 102}"""), null);

        var valid = JsonNode.Parse(ValidBodies[op.Key])!.AsObject();
        yield return C("valid plus unknown property", Json(With(valid, "client_id", JsonValue.Create(102))), null);
        // Huge strings once per operation (in every string property at once): the sweep stays fast.
        var huge = valid.DeepClone().AsObject();
        foreach (var (prop, schema) in op.BodyProperties.Where(p => Kind(Resolve(p.Schema, op.Document)) == "string"))
        {
            huge[prop] = JsonValue.Create(new string('q', 200_000));
        }
        yield return C("200,000 characters in every string property", Json(huge.ToJsonString()), null);
        foreach (var (prop, schema) in op.BodyProperties)
        {
            if (ClosedSets.TryGetValue(prop, out var outside))
            {
                yield return C($"{prop}: a word outside its set", Json(With(valid, prop, JsonValue.Create(outside))), badRequest);
                yield return C($"{prop}: its word in upper case with a NUL", Json(With(valid, prop, JsonValue.Create("BEST_SCORE\u0000"))), badRequest);
            }
            foreach (var (what, value, expect) in ValueCases(schema, op.Document))
            {
                yield return C($"{prop}: {what}", Json(With(valid, prop, value)), expect);
            }
        }
    }

    /// <summary>Values for one property: wrong JSON kinds (400) and awkward values of the right kind (any non-5xx).</summary>
    private static IEnumerable<(string What, JsonNode? Value, int[]? Expect)> ValueCases(JsonElement schema, JsonElement doc)
    {
        int[] badRequest = [400];
        var s = Resolve(schema, doc);
        var kind = Kind(s);
        yield return ("null", null, null);
        switch (kind)
        {
            case "string":
                yield return ("a number", JsonValue.Create(42), badRequest);
                yield return ("an object", new JsonObject(), badRequest);
                yield return ("an array", new JsonArray(JsonValue.Create("a")), badRequest);
                yield return ("true", JsonValue.Create(true), badRequest);
                foreach (var (what, text) in AwkwardStrings)
                {
                    yield return (what, JsonValue.Create(text), null);
                }
                break;
            case "integer":
            case "number":
                yield return ("a word", JsonValue.Create("abc"), badRequest);
                yield return ("an object", new JsonObject(), badRequest);
                yield return ("an array", new JsonArray(JsonValue.Create(1)), badRequest);
                yield return ("true", JsonValue.Create(true), badRequest);
                yield return ("past int64", JsonNode.Parse("99999999999999999999999"), kind == "integer" ? badRequest : null);
                yield return ("-1", JsonValue.Create(-1), null);
                yield return ("0", JsonValue.Create(0), null);
                yield return ("int32 max + 1", JsonValue.Create(2147483648L), s.TryGetProperty("format", out var f) && f.GetString() == "int32" ? badRequest : null);
                yield return ("long max", JsonValue.Create(long.MaxValue), null);
                if (kind == "integer")
                {
                    yield return ("a fraction", JsonValue.Create(1.5), badRequest);
                }
                break;
            case "boolean":
                yield return ("a word", JsonValue.Create("yes"), badRequest);
                yield return ("a number", JsonValue.Create(1), badRequest);
                yield return ("an object", new JsonObject(), badRequest);
                break;
            case "array":
                yield return ("a string", JsonValue.Create("AB-1"), badRequest);
                yield return ("an object", new JsonObject(), badRequest);
                yield return ("empty", new JsonArray(), null);
                yield return ("one null", new JsonArray((JsonNode?)null), null);
                yield return ("10,000 entries", new JsonArray(Enumerable.Range(0, 10_000).Select(i => (JsonNode?)JsonValue.Create($"K-{i}")).ToArray()), null);
                if (s.TryGetProperty("items", out var items))
                {
                    foreach (var (what, value, expect) in ValueCases(items, doc).Where(v => v.Value is not null))
                    {
                        yield return ($"an entry: {what}", new JsonArray(value!.DeepClone()), expect);
                    }
                }
                break;
            case "object":
                yield return ("a string", JsonValue.Create("x"), badRequest);
                yield return ("an array", new JsonArray(), badRequest);
                yield return ("empty", new JsonObject(), null);
                if (s.TryGetProperty("additionalProperties", out var extra) && extra.ValueKind == JsonValueKind.Object)
                {
                    yield return ("an entry: null", new JsonObject { ["k"] = null }, null);
                    foreach (var (what, value, expect) in ValueCases(extra, doc).Where(v => v.Value is not null))
                    {
                        yield return ($"an entry: {what}", new JsonObject { ["k"] = value!.DeepClone() }, expect);
                    }
                }
                if (s.TryGetProperty("properties", out var props))
                {
                    foreach (var p in props.EnumerateObject())
                    {
                        foreach (var (what, value, expect) in ValueCases(p.Value, doc))
                        {
                            yield return ($"{p.Name}: {what}", new JsonObject { [p.Name] = value?.DeepClone() }, expect);
                        }
                    }
                }
                break;
        }
    }

    private static readonly (string What, string Text)[] AwkwardStrings =
    [
        .. ErrorLeaks.AwkwardStrings,
        ("a lone surrogate escape", "\ud800"),
    ];

    private static IEnumerable<Case> PathCases(Operation op)
    {
        foreach (var (name, schema) in op.PathParameters)
        {
            var integer = Kind(Resolve(schema, op.Document)) == "integer";
            // A value a long route constraint refuses matches no route: 404. Otherwise the value reaches the handler.
            int[]? notANumber = integer ? [400, 404] : null;
            (string What, string Raw, int[]? Expect)[] values =
            [
                ("a word", "abc", notANumber),
                ("-1", "-1", null),
                ("0", "0", null),
                ("past int64", "99999999999999999999999", notANumber),
                ("a fraction", "1.5", notANumber),
                ("an encoded NUL", "a%00b", notANumber),
                ("encoded dots and slash", "..%2F..%2Fetc", notANumber),
                ("invalid UTF-8", "%C3%28", notANumber),
                ("an encoded space", "a%20b", notANumber),
                ("3,000 characters", new string('n', 3000), notANumber),
            ];
            foreach (var (what, raw, expect) in values)
            {
                var pathValues = new Dictionary<string, string>(ValidPathValues) { [name] = raw };
                yield return new Case($"path {name}: {what}", op, op.Method, op.PathWith(pathValues, encode: false),
                    op.HasBody ? Json(ValidBodies[op.Key]) : null, raw.Contains("%00", StringComparison.Ordinal) ? [400] : expect,
                    RefusedByKestrel: raw.Contains("%00", StringComparison.Ordinal));
            }
        }
    }

    private static IEnumerable<Case> QueryCases(Operation op)
    {
        foreach (var (name, schema) in op.QueryParameters)
        {
            var kind = Kind(Resolve(schema, op.Document));
            int[]? typed = kind is "integer" or "number" or "boolean" ? [400] : null;
            (string What, string Query, int[]? Expect)[] values =
            [
                ("a word", $"{name}=abc", typed),
                ("past int64", $"{name}=99999999999999999999999", typed),
                ("-1", $"{name}=-1", kind == "boolean" ? [400] : null),
                ("empty", $"{name}=", null),
                ("twice", $"{name}=1&{name}=2", typed),
                ("an encoded NUL", $"{name}=a%00b", typed),
                ("invalid UTF-8", $"{name}=%C3%28", typed),
                ("3,000 characters", $"{name}={new string('q', 3000)}", typed),
            ];
            if (ClosedSets.TryGetValue(name, out var outside))
            {
                values = [.. values, ("a word outside its set", $"{name}={outside}", [400])];
            }
            foreach (var (what, query, expect) in values)
            {
                yield return new Case($"query {name}: {what}", op, op.Method, op.PathWith(ValidPathValues) + "?" + query,
                    op.HasBody ? Json(ValidBodies[op.Key]) : null, expect);
            }
        }
        yield return new Case("query: unknown parameters and junk", op, op.Method, op.PathWith(ValidPathValues) + "?client_id=102&%zz&&=&a[b]=c",
            op.HasBody ? Json(ValidBodies[op.Key]) : null, null);
    }

    // ---- sending and judging ---------------------------------------------------------------

    /// <param name="RefusedByKestrel">Kestrel itself refuses it before any middleware runs (a NUL in the path): a bare 400 is its answer.</param>
    private sealed record Case(string Name, Operation Op, HttpMethod Method, string Path, HttpContent? Content, int[]? Expect, bool RefusedByKestrel = false);

    private sealed record Answer(int Status, string Body, string? ContentType, TimeSpan Elapsed, string? Error = null)
    {
        public void Deconstruct(out int status, out string body) => (status, body) = (Status, Error ?? Body);
    }

    private static async Task<Answer> SendAsync(HttpClient http, Case c)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(PerRequest);
        var sw = Stopwatch.StartNew();
        try
        {
            using var request = new HttpRequestMessage(c.Method, c.Path) { Content = c.Content };
            // A large body waits for the server's go-ahead, as careful clients send it: a 413 then comes back
            // as an answer instead of racing the upload (Kestrel closes the connection after refusing it).
            request.Headers.ExpectContinue = c.Content?.Headers.ContentLength > 64 * 1024;
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cts.Token);
            var body = await response.Content.ReadAsStringAsync(cts.Token);
            return new Answer((int)response.StatusCode, body, response.Content.Headers.ContentType?.MediaType, sw.Elapsed);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            return new Answer(0, "", null, sw.Elapsed, $"no answer within {PerRequest.TotalSeconds:F0} s");
        }
        catch (HttpRequestException ex)
        {
            return new Answer(0, "", null, sw.Elapsed, "connection failed: " + ex.Message);
        }
    }

    private static IEnumerable<string> Judge(Case c, Answer a)
    {
        var who = $"{c.Op.Key} [{c.Name}]";
        if (a.Error is not null)
        {
            yield return $"{who}: {a.Error}";
            yield break;
        }
        if (a.Status >= 500)
        {
            yield return $"{who}: {a.Status} {Shorten(a.Body)}";
        }
        else if (c.Expect is not null && !c.Expect.Contains(a.Status))
        {
            yield return $"{who}: expected {string.Join(" or ", c.Expect)}, got {a.Status} {Shorten(a.Body)}";
        }
        if (a.Status >= 400 && !(c.RefusedByKestrel && a.Status == 400 && a.Body.Length == 0))
        {
            if (a.ContentType != "application/problem+json")
            {
                yield return $"{who}: {a.Status} is not a ProblemDetails ({a.ContentType ?? "no content type"}): {Shorten(a.Body)}";
            }
            else if (!IsProblem(a.Body, a.Status))
            {
                yield return $"{who}: {a.Status} ProblemDetails without its status and title: {Shorten(a.Body)}";
            }
        }
        if (a.Status >= 400 && a.Body.Length > 8192)
        {
            yield return $"{who}: the {a.Status} problem is {a.Body.Length:N0} characters long (it echoes the input): {Shorten(a.Body)}";
        }
        if (a.Status >= 400 && ErrorLeaks.Find(a.Body) is { } leak)
        {
            yield return $"{who}: {a.Status} names internals ('{leak}'): {Shorten(a.Body)}";
        }
    }

    private static bool IsProblem(string body, int status)
    {
        try
        {
            var p = JsonDocument.Parse(body).RootElement;
            return p.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Number && s.GetInt32() == status
                   && p.TryGetProperty("title", out var t) && !string.IsNullOrWhiteSpace(t.GetString());
        }
        catch (JsonException)
        {
            return false;
        }
    }


    // ---- the OpenAPI document --------------------------------------------------------------

    private sealed record Operation(
        string Key, HttpMethod Method, string PathTemplate, bool HasBody, bool BodyRequired,
        IReadOnlyList<(string Name, JsonElement Schema)> BodyProperties,
        IReadOnlyList<(string Name, JsonElement Schema)> PathParameters,
        IReadOnlyList<(string Name, JsonElement Schema)> QueryParameters,
        JsonElement Document)
    {
        public string PathWith(IReadOnlyDictionary<string, string> values, bool encode = true) =>
            Placeholder().Replace(PathTemplate, m =>
                encode ? Uri.EscapeDataString(values[m.Groups[1].Value]) : values[m.Groups[1].Value]).TrimStart('/');
    }

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex Placeholder();

    private List<Operation>? _operations;

    private async Task<List<Operation>> OperationsAsync()
    {
        if (_operations is not null)
        {
            return _operations;
        }
        using var http = Client(null);
        var text = await http.GetStringAsync("openapi/v1.json", TestContext.Current.CancellationToken);
        var doc = JsonDocument.Parse(text).RootElement.Clone();
        var ops = new List<Operation>();
        foreach (var path in doc.GetProperty("paths").EnumerateObject().Where(p => p.Name.StartsWith("/api/v1/", StringComparison.Ordinal)))
        {
            foreach (var op in path.Value.EnumerateObject())
            {
                if (op.Name == "parameters")
                {
                    continue;
                }
                var method = new HttpMethod(op.Name.ToUpperInvariant());
                var parameters = op.Value.TryGetProperty("parameters", out var ps) ? ps.EnumerateArray().ToList() : [];
                (string, JsonElement) Param(JsonElement p) => (p.GetProperty("name").GetString()!, p.GetProperty("schema"));
                var hasBody = op.Value.TryGetProperty("requestBody", out var rb);
                var bodyProps = new List<(string, JsonElement)>();
                if (hasBody && rb.GetProperty("content").TryGetProperty("application/json", out var json)
                    && Resolve(json.GetProperty("schema"), doc).TryGetProperty("properties", out var props))
                {
                    bodyProps.AddRange(props.EnumerateObject().Select(p => (p.Name, p.Value)));
                }
                ops.Add(new Operation(
                    $"{method} {path.Name}", method, path.Name, hasBody,
                    hasBody && rb.TryGetProperty("required", out var req) && req.GetBoolean(),
                    bodyProps,
                    parameters.Where(p => p.GetProperty("in").GetString() == "path").Select(Param).ToList(),
                    parameters.Where(p => p.GetProperty("in").GetString() == "query").Select(Param).ToList(),
                    doc));
            }
        }
        return _operations = ops;
    }

    /// <summary>Follows $ref and picks the non-null branch of oneOf/anyOf/allOf.</summary>
    private static JsonElement Resolve(JsonElement schema, JsonElement doc)
    {
        for (var i = 0; i < 10; i++)
        {
            if (schema.TryGetProperty("$ref", out var r))
            {
                var name = r.GetString()!.Split('/')[^1];
                schema = doc.GetProperty("components").GetProperty("schemas").GetProperty(name);
                continue;
            }
            var branch = new[] { "oneOf", "anyOf", "allOf" }
                .Select(k => schema.TryGetProperty(k, out var b) ? b : default)
                .FirstOrDefault(b => b.ValueKind == JsonValueKind.Array);
            if (branch.ValueKind == JsonValueKind.Array)
            {
                schema = branch.EnumerateArray().First(b => Kind(b) != "null");
                continue;
            }
            break;
        }
        return schema;
    }

    /// <summary>The JSON kind a schema asks for ("integer" wins over the "string" .NET adds for numbers read from strings).</summary>
    private static string Kind(JsonElement schema)
    {
        if (!schema.TryGetProperty("type", out var type))
        {
            return schema.TryGetProperty("$ref", out _) ? "ref" : "object";
        }
        if (type.ValueKind == JsonValueKind.String)
        {
            return type.GetString()!;
        }
        var kinds = type.EnumerateArray().Select(t => t.GetString()!).Where(t => t != "null").ToList();
        return kinds.Contains("integer") ? "integer"
            : kinds.Contains("number") ? "number"
            : kinds.FirstOrDefault() ?? "null";
    }

    // ---- helpers ---------------------------------------------------------------------------

    private HttpClient Client(string? key)
    {
        // Latin-1 headers: the sweep sends a key with a non-ASCII character, as a careless client would.
        var http = new HttpClient(new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.Latin1 })
        {
            BaseAddress = fx.Gateway.BaseAddress,
            Timeout = PerRequest + TimeSpan.FromSeconds(5),
        };
        if (key is not null)
        {
            http.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", key);
        }
        return http;
    }

    private static StringContent Json(string json) => Http.Json(json);

    private static ByteArrayContent Bytes(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return content;
    }

    private static ByteArrayContent NoContentType(string text) => new(Encoding.UTF8.GetBytes(text));

    private static string With(JsonObject valid, string property, JsonNode? value)
    {
        var copy = valid.DeepClone().AsObject();
        copy[property] = value?.DeepClone();
        return copy.ToJsonString();
    }

    private static string Shorten(string s) => ErrorLeaks.Shorten(s);
}
