using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Security.Tests;

/// <summary>
/// The gRPC half of the bad-input sweep: every RPC of every service (found through reflection and
/// described by the compiled protos, so a new RPC is swept without a line here), over real sockets
/// against the services' real Programs, with an operator token of a real tenant. Each case starts
/// from a request the RPC accepts and changes one thing on the wire: the whole message (not
/// protobuf, truncated, too deep, too large), or one field (every field, nested messages one level
/// down) to an awkward value of its type — empty, NUL, control characters, invalid UTF-8, huge,
/// negative, past the type's range, NaN, an enum number outside the enum, a timestamp outside
/// 0001..9999, 10,000 repeated entries, the wrong wire type. Whatever the input: never
/// <c>Internal</c>, <c>Unknown</c>, <c>Unimplemented</c>, <c>DataLoss</c> or <c>Unavailable</c> (those
/// say the service broke, not the caller), no .NET type name, exception text or stack frame in the detail, and an
/// answer within <see cref="PerCall"/> (no hang). Input that is certainly malformed gets
/// <c>InvalidArgument</c> (or <c>ResourceExhausted</c> past the 4 MiB message limit).
/// </summary>
public sealed class GrpcBadInputSweepTests(SystemFixture fx, ITestOutputHelper output)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan PerCall = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A request each RPC accepts (proto JSON), keyed by method name. Training and deploying name
    /// forecast, a model nothing trains (InvalidArgument): the sweep must not start real training on
    /// 2 cores (the fields are still read, and the model name is swept — never to a trained model's number).
    /// </summary>
    private static readonly Dictionary<string, string> ValidRequests = new()
    {
        ["Ask"] = """{"question": "how many issues were created last week"}""",
        ["AskStream"] = """{"question": "how many issues were created last week"}""",
        ["GetCatalog"] = "{}",
        ["PredictTrajectory"] = """{"epic_keys": ["PAY-1"]}""",
        ["EstimateComplexity"] = """{"issue_keys": ["PAY-2"], "new_issues": [{"summary": "Add a refund button", "issue_type": "Story", "project_key": "PAY"}]}""",
        ["AssessReworkRisk"] = """{"pull_requests": ["payments#1"]}""",
        ["PredictUnified"] = """{"issue_keys": ["PAY-2"]}""",
        ["ForecastEpics"] = """{"epic_keys": ["PAY-1"], "by": "2030-01-01T00:00:00Z", "draws": 1000, "seed": 7}""",
        ["ListAlerts"] = """{"severity": "SEVERITY_HIGH", "limit": 10}""",
        ["AcknowledgeAlert"] = """{"id": 1, "acknowledged_by": "sweep"}""",
        ["GetModelHealth"] = "{}",
        ["Train"] = """{"model_name": "MODEL_NAME_FORECAST", "request_id": "sweep", "deploy_strategy": "DEPLOY_STRATEGY_NONE", "hyperparameters": {"leaves": "31"}}""",
        ["StartTraining"] = """{"model_name": "MODEL_NAME_FORECAST", "request_id": "sweep", "deploy_strategy": "DEPLOY_STRATEGY_NONE", "hyperparameters": {"leaves": "31"}}""",
        ["GetRun"] = """{"model_name": "MODEL_NAME_COMPLEXITY", "request_id": "sweep"}""",
        ["ListModels"] = "{}",
        ["ListVersions"] = """{"model_name": "MODEL_NAME_COMPLEXITY", "include_details": true}""",
        ["Deploy"] = """{"model_name": "MODEL_NAME_FORECAST", "strategy": "DEPLOY_STRATEGY_SPECIFIC", "version_id": 1}""",
        ["History"] = """{"model_name": "MODEL_NAME_COMPLEXITY", "limit": 5}""",
        ["ValidateSyntax"] = """{"sql": "SELECT count(*) FROM issues", "question": "how many issues", "today": "2025-06-01"}""",
        ["ValidateStatic"] = """{"sql": "SELECT count(*) FROM issues", "question": "how many issues", "today": "2025-06-01"}""",
        ["ValidateCost"] = """{"sql": "SELECT count(*) FROM issues", "question": "how many issues", "today": "2025-06-01"}""",
        ["ValidateSemantics"] = """{"sql": "SELECT count(*) FROM issues", "question": "how many issues", "today": "2025-06-01", "intent": {"metric": "issues", "aggregate": "count", "limit": 10}}""",
        ["Validate"] = """{"sql": "SELECT count(*) FROM issues", "question": "how many issues", "today": "2025-06-01", "intent": {"metric": "issues", "aggregate": "count", "limit": 10}}""",
        ["ValidateResults"] = """{"shape": "generic", "columns": ["n"], "rows_json": ["[1]"]}""",
    };

    // Every service is up during the sweep: Unavailable would mean the input broke a connection or a dependency.
    private static readonly StatusCode[] Broken = [StatusCode.Internal, StatusCode.Unknown, StatusCode.Unimplemented, StatusCode.DataLoss, StatusCode.Unavailable];

    private Task<IReadOnlyList<GrpcMethod>> MethodsAsync() => GrpcSurface.DiscoverAsync(fx.GrpcServices, Ct);

    [Fact]
    public async Task Every_rpc_has_a_valid_request_and_answers_it_without_breaking()
    {
        var methods = await MethodsAsync();
        Assert.True(methods.Count >= 20, $"only {methods.Count} RPCs found");
        var missing = methods.Where(m => !ValidRequests.ContainsKey(m.Descriptor.Name)).Select(m => m.ToString()).ToList();
        Assert.True(missing.Count == 0, "no valid request in the sweep (add one to ValidRequests): " + string.Join(", ", missing));
        await SweepAsync(methods.Select(m => new Case(m, "the valid request", Valid(m), null)).ToList());
    }

    [Fact]
    public async Task Bad_messages_and_fields_never_break_a_service_nor_leak_internals()
    {
        var cases = (await MethodsAsync()).SelectMany(Cases).ToList();
        Assert.True(cases.Count > 500, $"only {cases.Count} cases");
        await SweepAsync(cases);
    }

    // ---- the cases -------------------------------------------------------------------------

    /// <param name="Expect">The status certainly right for it; null: any status that does not say the service broke.</param>
    private sealed record Case(GrpcMethod Method, string Name, byte[] Request, StatusCode[]? Expect)
    {
        public override string ToString() => $"{Method} [{Name}]";
    }

    private static byte[] Valid(GrpcMethod m) =>
        JsonParser.Default.Parse(ValidRequests[m.Descriptor.Name], m.Input()).ToByteArray();

    private static IEnumerable<Case> Cases(GrpcMethod m)
    {
        var valid = Valid(m);
        StatusCode[] invalid = [StatusCode.InvalidArgument];
        Case C(string name, byte[] bytes, StatusCode[]? expect = null) => new(m, name, bytes, expect);

        yield return C("empty message", []);
        yield return C("not protobuf", "not protobuf at all"u8.ToArray(), invalid);
        yield return C("0xFF bytes", [0xFF, 0xFF, 0xFF, 0xFF], invalid);
        yield return C("truncated varint", [.. valid, 0x08, 0x80], invalid);
        yield return C("length past the end", [.. valid, 0x0A, 0x7F, 0x61], invalid);
        yield return C("wire type 7", [.. valid, 0x0F], invalid);
        yield return C("group never ended", [.. valid, 0x7B], invalid);
        yield return C("groups 200 deep", [.. valid, .. Enumerable.Repeat((byte)0x7B, 200), .. Enumerable.Repeat((byte)0x7C, 200)], invalid);
        yield return C("unknown fields", [.. valid, .. Text(99, "x"), .. Varint(100, -1)]);
        yield return C("field number 0", [.. valid, 0x02, 0x01, 0x61], invalid);
        yield return C("over the 4 MiB message limit", [.. valid, .. Text(99, new string('x', 5 * 1024 * 1024))],
            [StatusCode.ResourceExhausted]);

        foreach (var field in m.Input().Fields.InFieldNumberOrder())
        {
            foreach (var (what, bytes) in FieldValues(field, ""))
            {
                yield return C(what, [.. valid, .. bytes]);
            }
        }
    }

    /// <summary>Awkward encodings of one field (appended to a valid message: the last value of a scalar wins, a repeated field gets one more entry).</summary>
    private static IEnumerable<(string What, byte[] Bytes)> FieldValues(FieldDescriptor f, string prefix, int depth = 0)
    {
        var name = prefix + f.Name;
        var n = f.FieldNumber;
        // The wrong wire type for the field: a parser that skips it or refuses it is fine; one that breaks is not.
        yield return ($"{name}: wrong wire type", Field(n, WireFormat.WireType.Fixed32, w => w.WriteFixed32(7)));
        if (f.IsMap)
        {
            var key = f.MessageType.FindFieldByNumber(1);
            var value = f.MessageType.FindFieldByNumber(2);
            byte[] Entry(string k, string v) => Bytes(n, [.. Scalar(key, k), .. Scalar(value, v)]);
            yield return ($"{name}: empty key and value", Entry("", ""));
            yield return ($"{name}: NUL in key and value", Entry("a\0b", "c\0d"));
            yield return ($"{name}: a 100,000-character value", Entry("k", new string('v', 100_000)));
            yield return ($"{name}: 10,000 entries", [.. Enumerable.Range(0, 10_000).SelectMany(i => Entry($"k{i}", $"{i}"))]);
            yield break;
        }
        if (f.IsRepeated)
        {
            yield return ($"{name}: 10,000 entries", [.. Enumerable.Range(0, 10_000).SelectMany(i => f.FieldType switch
            {
                FieldType.String => Text(n, $"K-{i}"),
                FieldType.Message => Bytes(n),
                FieldType.Double => Field(n, WireFormat.WireType.Fixed64, w => w.WriteDouble(i)),
                _ => Varint(n, i),
            })]);
        }
        switch (f.FieldType)
        {
            case FieldType.String:
                foreach (var (what, text) in AwkwardStrings)
                {
                    yield return ($"{name}: {what}", Text(n, text));
                }
                yield return ($"{name}: invalid UTF-8", Bytes(n, 0x61, 0xC3, 0x28, 0xFF));
                break;
            case FieldType.Int32 or FieldType.Int64 or FieldType.UInt32 or FieldType.UInt64 or FieldType.Enum:
                foreach (var (what, value) in new (string, long)[]
                         {
                             ("-1", -1), ("0", 0), ("int32 max", int.MaxValue), ("int32 min", int.MinValue),
                             ("int64 max", long.MaxValue), ("int64 min", long.MinValue), ("past int32", 1L << 40),
                         })
                {
                    yield return ($"{name}: {(f.FieldType == FieldType.Enum ? "enum number " : "")}{what}", Varint(n, value));
                }
                if (f.FieldType == FieldType.Enum)
                {
                    yield return ($"{name}: an enum number outside the enum", Varint(n, f.EnumType.Values.Max(v => v.Number) + 1));
                }
                break;
            case FieldType.SInt32 or FieldType.SInt64:
                yield return ($"{name}: int64 min", Field(n, WireFormat.WireType.Varint, w => w.WriteSInt64(long.MinValue)));
                yield return ($"{name}: int64 max", Field(n, WireFormat.WireType.Varint, w => w.WriteSInt64(long.MaxValue)));
                break;
            case FieldType.Double:
                foreach (var (what, value) in new (string, double)[]
                         {
                             ("NaN", double.NaN), ("+infinity", double.PositiveInfinity), ("-infinity", double.NegativeInfinity),
                             ("-1", -1), ("1e308", 1e308), ("epsilon", double.Epsilon),
                         })
                {
                    yield return ($"{name}: {what}", Field(n, WireFormat.WireType.Fixed64, w => w.WriteDouble(value)));
                }
                break;
            case FieldType.Float:
                yield return ($"{name}: NaN", Field(n, WireFormat.WireType.Fixed32, w => w.WriteFloat(float.NaN)));
                yield return ($"{name}: +infinity", Field(n, WireFormat.WireType.Fixed32, w => w.WriteFloat(float.PositiveInfinity)));
                break;
            case FieldType.Bool:
                yield return ($"{name}: true", Varint(n, 1));
                yield return ($"{name}: varint 2", Varint(n, 2));
                break;
            case FieldType.Message:
                yield return ($"{name}: empty message", Bytes(n));
                yield return ($"{name}: not protobuf inside", Bytes(n, 0xFF, 0xFF, 0xFF));
                if (f.MessageType.FullName is "google.protobuf.Timestamp" or "google.protobuf.Duration")
                {
                    foreach (var (what, seconds, nanos) in new (string, long, int)[]
                             {
                                 ("after year 9999", 253_402_300_800L, 0), ("before year 1", -62_135_596_801L, 0), ("int64 max seconds", long.MaxValue, 0),
                                 ("negative nanos", 0, -1), ("a second of nanos", 0, 1_000_000_000), ("the epoch", 0, 0), ("in 1990", 631_152_000, 0),
                             })
                    {
                        yield return ($"{name}: {what}", Bytes(n, [.. Varint(1, seconds), .. Varint(2, nanos)]));
                    }
                }
                else if (depth == 0)
                {
                    foreach (var sub in f.MessageType.Fields.InFieldNumberOrder())
                    {
                        foreach (var (what, bytes) in FieldValues(sub, name + ".", depth + 1))
                        {
                            yield return (what, Bytes(n, bytes));
                        }
                    }
                }
                break;
        }
    }

    private static readonly (string What, string Text)[] AwkwardStrings =
    [
        .. ErrorLeaks.AwkwardStrings,
        ("200,000 characters", new string('q', 200_000)),
    ];

    /// <summary>One field on the wire: its tag with <paramref name="wire"/>, then what <paramref name="write"/> writes.</summary>
    private static byte[] Field(int number, WireFormat.WireType wire, Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new CodedOutputStream(buffer, leaveOpen: true))
        {
            w.WriteTag(number, wire);
            write(w);
        }
        return buffer.ToArray();
    }

    private static byte[] Varint(int number, long value) => Field(number, WireFormat.WireType.Varint, w => w.WriteInt64(value));

    private static byte[] Text(int number, string value) => Field(number, WireFormat.WireType.LengthDelimited, w => w.WriteString(value));

    private static byte[] Bytes(int number, params byte[] value) => Field(number, WireFormat.WireType.LengthDelimited, w => w.WriteBytes(ByteString.CopyFrom(value)));

    private static byte[] Scalar(FieldDescriptor f, string value) =>
        f.FieldType == FieldType.String ? Text(f.FieldNumber, value) : Varint(f.FieldNumber, long.TryParse(value, out var l) ? l : 0);

    // ---- sending and judging ---------------------------------------------------------------

    private async Task SweepAsync(List<Case> cases)
    {
        var headers = TestTokens.HeadersWith(TestTokens.Admin(SystemFixture.TenantA));
        Assert.Null(await ErrorLeaks.SweepAsync(cases, (c, ct) => c.Method.CallAsync(c.Request, headers, PerCall, ct), (c, a) => Judge(c, a.Status),
            c => c.ToString(), a => a.Took, output, "calls", Ct,
            tally: answers => string.Join(", ", answers.GroupBy(a => a.Status.StatusCode).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"))));
    }

    private static IEnumerable<string> Judge(Case c, Status s)
    {
        if (s.StatusCode == StatusCode.DeadlineExceeded)
        {
            yield return $"{c}: no answer within {PerCall.TotalSeconds:F0} s";
            yield break;
        }
        if (Broken.Contains(s.StatusCode))
        {
            yield return $"{c}: {s.StatusCode} \"{Shorten(s.Detail)}\"";
        }
        else if (c.Expect is not null && !c.Expect.Contains(s.StatusCode))
        {
            yield return $"{c}: expected {string.Join(" or ", c.Expect)}, got {s.StatusCode} \"{Shorten(s.Detail)}\"";
        }
        if (ErrorLeaks.Find(s.Detail) is { } leak)
        {
            yield return $"{c}: the detail names internals ('{leak}'): {Shorten(s.Detail)}";
        }
    }

    private static string Shorten(string s) => ErrorLeaks.Shorten(s);
}
