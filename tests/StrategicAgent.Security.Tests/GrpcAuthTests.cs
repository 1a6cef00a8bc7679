using System.Net;
using System.Text.Json;
using Grpc.Core;
using Grpc.Health.V1;
using StrategicAgent.Protos.Agent.V1;
using StrategicAgent.Protos.Prediction.V1;
using StrategicAgent.Protos.Training.V1;
using StrategicAgent.Protos.Validation.V1;
using ModelName = StrategicAgent.Protos.Ml.V1.ModelName;
using StrategicAgent.ServiceDefaults.Auth;
using StrategicAgent.Testing;
using Xunit;

namespace StrategicAgent.Security.Tests;

/// <summary>
/// Who the caller is, at every gRPC door (docs/CONVENTIONS.md, "Who the caller is"), over real
/// sockets against the services' real Programs: every RPC of every service — found through
/// reflection, so new ones are covered — refuses a call without a token and with an expired or
/// forged one; an inactive tenant is refused everywhere; admin RPCs need the admin scope; a
/// token of tenant B never gets tenant A's data. Health and reflection stay open.
/// </summary>
public sealed class GrpcAuthTests(SystemFixture fx, ITestOutputHelper output)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(20);

    private Task<IReadOnlyList<GrpcMethod>> MethodsAsync() => GrpcSurface.DiscoverAsync(fx.GrpcServices, Ct);

    [Fact]
    public async Task Every_service_serves_every_compiled_rpc_and_the_sweep_sees_them_all()
    {
        var methods = await MethodsAsync();
        output.WriteLine(string.Join("\n", methods));
        // Every proto service is served by one of the fixture's hosts: a new one must be started here too.
        Assert.Equal(GrpcSurface.CompiledServices.Order(), methods.Select(m => m.Descriptor.Service.FullName).Distinct().Order());
        Assert.Contains(methods, m => m.FullName == "strategicagent.training.v1.TrainingService/Train");
    }

    [Fact]
    public async Task Every_rpc_refuses_a_call_without_a_credential()
    {
        foreach (var method in await MethodsAsync())
        {
            var (status, _) = await method.CallAsync(GrpcSurface.Empty, null, CallTimeout, Ct);
            Assert.True(status.StatusCode == StatusCode.Unauthenticated, $"{method}: {status}");
            Assert.Contains("authorization: Bearer", status.Detail, StringComparison.Ordinal);
            AssertPlain(status.Detail, method);
        }
    }

    public static TheoryData<string> BadTokens => ["expired", "other key", "tampered", "alg none", "hs256 with the public key", "lifetime of a year", "garbage", "basic scheme"];

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Every_rpc_refuses_an_expired_or_forged_token(string kind)
    {
        var header = kind switch
        {
            "expired" => TestTokens.Bearer(TestTokens.Expired(SystemFixture.TenantA)),
            "other key" => TestTokens.Bearer(TestTokens.SignedByAnotherKey(SystemFixture.TenantA)),
            "tampered" => TestTokens.Bearer(TestTokens.Tampered(SystemFixture.TenantB, SystemFixture.TenantA)),
            "alg none" => TestTokens.Bearer(TestTokens.Unsigned(SystemFixture.TenantA)),
            "hs256 with the public key" => TestTokens.Bearer(TestTokens.HmacWithPublicKey(SystemFixture.TenantA)),
            "lifetime of a year" => TestTokens.Bearer(TestTokens.TooLong(SystemFixture.TenantA)),
            "garbage" => "Bearer not.a.jwt",
            _ => "Basic " + Convert.ToBase64String("admin:admin"u8.ToArray()),
        };
        var expected = kind switch
        {
            "expired" => "expired",
            "other key" or "tampered" or "alg none" or "hs256 with the public key" => "signature",
            "lifetime of a year" => "lives longer",
            "garbage" => "well-formed",
            _ => "not a bearer token",
        };
        foreach (var method in await MethodsAsync())
        {
            var (status, _) = await method.CallAsync(GrpcSurface.Empty, new Metadata { { "authorization", header } }, CallTimeout, Ct);
            Assert.True(status.StatusCode == StatusCode.Unauthenticated, $"{kind} on {method}: {status}");
            Assert.Contains(expected, status.Detail, StringComparison.Ordinal);
            AssertPlain(status.Detail, method);
        }
        output.WriteLine($"{kind}: refused everywhere");
    }

    [Fact]
    public async Task An_inactive_tenant_is_refused_everywhere()
    {
        foreach (var method in await MethodsAsync())
        {
            var (status, _) = await method.CallAsync(GrpcSurface.Empty, TestTokens.Headers(SystemFixture.InactiveTenant), CallTimeout, Ct);
            Assert.True(status.StatusCode == StatusCode.Unauthenticated, $"{method}: {status}");
            Assert.Contains($"Tenant {SystemFixture.InactiveTenant} is not active", status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_token_minted_before_its_tenant_was_deactivated_stops_working_within_the_cache_time()
    {
        var token = TestTokens.Admin(SystemFixture.RevocableTenant);
        var validation = new ValidationService.ValidationServiceClient(fx.Validation.Channel.WithToken(token));
        Assert.True((await validation.ValidateSyntaxAsync(new ValidateSqlRequest { Sql = "SELECT 1" }, cancellationToken: Ct)).Valid);
        var methods = await MethodsAsync();
        try
        {
            await fx.SetActiveAsync(SystemFixture.RevocableTenant, false, Ct);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(SystemFixture.TenantCacheSeconds + 0.2), Ct);
            foreach (var method in methods)
            {
                var (status, _) = await method.CallAsync(GrpcSurface.Empty, TestTokens.HeadersWith(token), CallTimeout, Ct);
                Assert.True(status.StatusCode == StatusCode.Unauthenticated, $"{method}: {status}");
                Assert.Contains("is not active", status.Detail, StringComparison.Ordinal);
            }
            output.WriteLine($"refused by every service {sw.Elapsed.TotalSeconds:0.0} s after the deactivation reached the replica (cache {SystemFixture.TenantCacheSeconds} s)");
        }
        finally
        {
            await fx.SetActiveAsync(SystemFixture.RevocableTenant, true, CancellationToken.None);
        }
        await Task.Delay(TimeSpan.FromSeconds(SystemFixture.TenantCacheSeconds + 0.2), Ct);
        Assert.True((await validation.ValidateSyntaxAsync(new ValidateSqlRequest { Sql = "SELECT 1" }, cancellationToken: Ct)).Valid);
    }

    [Fact]
    public async Task Admin_rpcs_refuse_a_tenant_token_and_accept_an_operator_token()
    {
        var tenant = new TrainingService.TrainingServiceClient(fx.Training.Channel.As(SystemFixture.TenantA));
        var train = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = tenant.Train(new TrainRequest { ModelName = ModelName.Complexity }, cancellationToken: Ct);
            await call.ResponseStream.MoveNext(Ct);
        });
        Assert.Equal(StatusCode.PermissionDenied, train.StatusCode);
        Assert.Contains("'admin'", train.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("'query'", train.Status.Detail, StringComparison.Ordinal);
        output.WriteLine(train.Status.Detail);
        var deploy = await Assert.ThrowsAsync<RpcException>(() => tenant.DeployAsync(new DeployRequest { ModelName = ModelName.Complexity, Strategy = DeployStrategy.Rollback }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, deploy.StatusCode);
        // Reading the registry is every tenant's.
        Assert.NotEmpty((await tenant.ListModelsAsync(new ListModelsRequest(), cancellationToken: Ct)).Models);

        // An operator token gets past authorization to the service's own checks.
        var operatorClient = new TrainingService.TrainingServiceClient(fx.Training.Channel.AsAdmin(SystemFixture.TenantA));
        var unknown = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = operatorClient.Train(new TrainRequest { ModelName = (ModelName)42 }, cancellationToken: Ct);
            await call.ResponseStream.MoveNext(Ct);
        });
        Assert.Equal(StatusCode.InvalidArgument, unknown.StatusCode);
        var badStrategy = await Assert.ThrowsAsync<RpcException>(() => operatorClient.DeployAsync(new DeployRequest { ModelName = ModelName.Complexity, Strategy = (DeployStrategy)42 }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, badStrategy.StatusCode);
    }

    [Fact]
    public async Task Admin_scope_alone_is_not_enough_for_tenant_rpcs_and_every_admin_rpc_is_named()
    {
        // Every method that answers PermissionDenied to a query token is an operator action: today Train, StartTraining and Deploy.
        var denied = new List<string>();
        foreach (var method in await MethodsAsync())
        {
            var (status, _) = await method.CallAsync(GrpcSurface.Empty, TestTokens.Headers(SystemFixture.TenantA), CallTimeout, Ct);
            if (status.StatusCode == StatusCode.PermissionDenied)
            {
                denied.Add(method.FullName);
            }
        }
        Assert.Equal(["strategicagent.training.v1.TrainingService/Deploy", "strategicagent.training.v1.TrainingService/StartTraining",
            "strategicagent.training.v1.TrainingService/Train"], denied.Order());

        var adminOnly = new ValidationService.ValidationServiceClient(fx.Validation.Channel.As(SystemFixture.TenantA, CallerScopes.Admin));
        var e = await Assert.ThrowsAsync<RpcException>(() => adminOnly.ValidateSyntaxAsync(new ValidateSqlRequest { Sql = "SELECT 1" }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Contains("'query'", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_and_reflection_stay_open()
    {
        foreach (var (name, channel) in fx.GrpcServices)
        {
            var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), cancellationToken: Ct);
            Assert.True(health.Status == HealthCheckResponse.Types.ServingStatus.Serving, $"{name}: {health.Status}");
            Assert.NotEmpty(await GrpcSurface.ListServicesAsync(channel, Ct));
        }
    }

    [Fact]
    public async Task A_token_of_tenant_B_never_gets_tenant_A_alerts()
    {
        var asB = new PredictionService.PredictionServiceClient(fx.Prediction.Channel.As(SystemFixture.TenantB));
        var asA = new PredictionService.PredictionServiceClient(fx.Prediction.Channel.As(SystemFixture.TenantA));
        Assert.Contains((await asA.ListAlertsAsync(new ListAlertsRequest { Limit = 500 }, cancellationToken: Ct)).Alerts, a => a.Id == fx.AlertOfA);

        var listed = await asB.ListAlertsAsync(new ListAlertsRequest { Limit = 500 }, cancellationToken: Ct);
        Assert.DoesNotContain(listed.Alerts, a => a.Id == fx.AlertOfA || a.AlertDataJson.Contains("tenant A only", StringComparison.Ordinal));
        var ack = await Assert.ThrowsAsync<RpcException>(() => asB.AcknowledgeAlertAsync(new AcknowledgeAlertRequest { Id = fx.AlertOfA, AcknowledgedBy = "mallory" }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, ack.StatusCode);
        Assert.DoesNotContain("tenant A", ack.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_of_tenant_B_never_gets_tenant_A_rows_from_the_agent()
    {
        var reposA = await RepositoriesAsync(SystemFixture.TenantA);
        var reposB = await RepositoriesAsync(SystemFixture.TenantB);
        var onlyA = reposA.Except(reposB).ToHashSet();
        Assert.NotEmpty(onlyA);

        var question = new AskRequest { Question = "rework rate by repository this year" };
        var answerA = await new AgentService.AgentServiceClient(fx.Agent.Channel.As(SystemFixture.TenantA)).AskAsync(question, cancellationToken: Ct);
        var answerB = await new AgentService.AgentServiceClient(fx.Agent.Channel.As(SystemFixture.TenantB)).AskAsync(question, cancellationToken: Ct);
        Assert.True(answerA.Status == AnswerStatus.Answered && answerB.Status == AnswerStatus.Answered, answerA.Answer + " | " + answerB.Answer);
        var namesA = FirstColumn(answerA);
        var namesB = FirstColumn(answerB);
        Assert.NotEmpty(namesB);
        Assert.Subset(reposA, namesA);
        Assert.Subset(reposB, namesB);
        Assert.Empty(namesB.Intersect(onlyA));
        Assert.DoesNotContain(onlyA, a => answerB.Answer.Contains(a, StringComparison.Ordinal));
        output.WriteLine($"A: {string.Join(", ", namesA)}\nB: {string.Join(", ", namesB)}");

        static HashSet<string> FirstColumn(AskResponse r) =>
            r.RowsJson.Select(j => JsonDocument.Parse(j).RootElement[0].GetString()!).ToHashSet();
    }

    [Fact]
    public async Task The_gateway_issues_tokens_that_carry_the_keys_tenant_and_scopes_and_the_services_accept()
    {
        var token = await TokenAsync(fx.KeyB);
        Assert.Equal(SystemFixture.TenantB, token.GetProperty("client_id").GetInt64());
        Assert.Equal(["query"], token.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("Bearer", token.GetProperty("token_type").GetString());
        Assert.InRange(token.GetProperty("expires_in").GetInt32(), 60, 3600);

        var asB = new PredictionService.PredictionServiceClient(fx.Prediction.Channel.WithToken(token.GetProperty("access_token").GetString()!));
        Assert.DoesNotContain((await asB.ListAlertsAsync(new ListAlertsRequest(), cancellationToken: Ct)).Alerts, a => a.Id == fx.AlertOfA);

        var admin = await TokenAsync(fx.AdminKeyA);
        Assert.Equal(["admin", "query"], admin.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).Order());
        var training = new TrainingService.TrainingServiceClient(fx.Training.Channel.WithToken(admin.GetProperty("access_token").GetString()!));
        var badStrategy = await Assert.ThrowsAsync<RpcException>(() => training.DeployAsync(new DeployRequest { ModelName = ModelName.Complexity, Strategy = (DeployStrategy)42 }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, badStrategy.StatusCode);

        using var anonymous = fx.GatewayClient();
        using var refused = await anonymous.PostAsync("api/v1/auth/token", null, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    private async Task<JsonElement> TokenAsync(string apiKey)
    {
        using var http = fx.GatewayClient(apiKey);
        using var response = await http.PostAsync("api/v1/auth/token", null, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task<HashSet<string>> RepositoriesAsync(long tenant)
    {
        await using var replica = await fx.OpenReplicaAsync(Ct);
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT name FROM repositories WHERE client_id = $1", replica) { Parameters = { new() { Value = tenant } } };
        var names = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            names.Add(reader.GetString(0));
        }
        return names;
    }

    /// <summary>A refusal a caller can act on: no IdentityModel code, exception or .NET type name.</summary>
    private static void AssertPlain(string detail, GrpcMethod method)
    {
        foreach (var leak in new[] { "IDX", "Exception", "System.", "Microsoft.", "   at " })
        {
            Assert.False(detail.Contains(leak, StringComparison.Ordinal), $"{method}: '{leak}' in: {detail}");
        }
    }
}
