using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using StrategicAgent.LocalServers;
using StrategicAgent.Testing;
using StrategicAgent.Protos.Agent.V1;
using Xunit;

namespace StrategicAgent.AppHost.Tests;

/// <summary>
/// The whole AppHost, as <c>./run.sh</c> starts it but in executables mode on free ports: local
/// PostgreSQL primary + replica and RabbitMQ, the migrator to completion, every service healthy
/// over its real endpoints; then a stop that leaves no process and no lock behind.
/// </summary>
public sealed class WholeSystemTests
{
    private static readonly string[] Infrastructure = ["primary", "replica", "messaging"];
    private static readonly (string Name, string PortKey)[] GrpcServices =
        [("validation", "Validation"), ("prediction", "Prediction"), ("ml-training", "MlTraining"), ("agent", "Agent")];

    [Fact]
    public async Task Every_resource_becomes_healthy_and_stopping_leaves_nothing_behind()
    {
        var ct = TestContext.Current.CancellationToken;
        using var args = new AppHostArgs();
        var sw = Stopwatch.StartNew();

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.StrategicAgent_AppHost>(
            args.ToArgs(), (options, _) => options.DisableDashboard = true, ct);
        var app = await builder.BuildAsync(ct);
        var orchestratorProcesses = 0;
        try
        {
            await app.StartAsync(ct);
            var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromMinutes(6));

            foreach (var name in Infrastructure)
            {
                await WaitHealthyAsync(notifications, name, timeout.Token);
            }
            var migrator = await notifications.WaitForResourceAsync("migrator",
                e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), timeout.Token);
            Assert.True(migrator.Snapshot.ExitCode == 0,
                $"migrator ended {migrator.Snapshot.State?.Text} with exit code {migrator.Snapshot.ExitCode}: {await ReadFailureAsync(args)}");

            foreach (var name in GrpcServices.Select(s => s.Name).Append("gateway").Append("web"))
            {
                await WaitHealthyAsync(notifications, name, timeout.Token);
            }
            TestContext.Current.SendDiagnosticMessage($"whole system healthy in {sw.Elapsed.TotalSeconds:0.0} s");

            // The gateway answers on its fixed HTTP port.
            using var http = new HttpClient();
            using (var health = await http.GetAsync($"http://127.0.0.1:{args.Ports["Gateway"]}/health", ct))
            {
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            }
            // Every gRPC service answers the gRPC health protocol over HTTP/2 on its fixed port.
            foreach (var (name, key) in GrpcServices)
            {
                using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{args.Ports[key]}");
                var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
                Assert.True(reply.Status == HealthCheckResponse.Types.ServingStatus.Serving, $"{name}: {reply.Status}");
            }

            // run-info.json: ready, with the fixed ports and one demo key per active tenant.
            using var runInfo = JsonDocument.Parse(await File.ReadAllTextAsync(args.RunInfoPath, ct));
            var root = runInfo.RootElement;
            Assert.Equal("ready", root.GetProperty("status").GetString());
            Assert.Equal("Executables", root.GetProperty("mode").GetString());
            Assert.Equal($"http://localhost:{args.Ports["Gateway"]}", root.GetProperty("gatewayUrl").GetString());
            Assert.Equal($"http://localhost:{args.Ports["Web"]}", root.GetProperty("webUrl").GetString());
            Assert.Contains($"Port={args.Ports["Primary"]}", root.GetProperty("connectionStrings").GetProperty("primary").GetString(), StringComparison.Ordinal);
            Assert.True(root.GetProperty("apiKeys").GetArrayLength() >= 2);

            // A question end to end: the agent and validation log in to the replica as sa_reader
            // (not the superuser) and still answer from the tenant's rows.
            using (var ask = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{args.Ports["Gateway"]}/api/v1/agent/ask")
            {
                Content = new StringContent("""{"question": "rework rate by repository this year"}""", System.Text.Encoding.UTF8, "application/json"),
            })
            {
                ask.Headers.Add("X-Api-Key", root.GetProperty("apiKeys")[0].GetProperty("key").GetString());
                using var answer = await http.SendAsync(ask, ct);
                var body = await answer.Content.ReadAsStringAsync(ct);
                Assert.True(answer.StatusCode == HttpStatusCode.OK, body);
                using var doc = JsonDocument.Parse(body);
                Assert.True(doc.RootElement.GetProperty("status").GetString() == "answered", body);
                Assert.True(doc.RootElement.GetProperty("rows").GetArrayLength() > 0, body);
            }

            // A platform client calling the agent's gRPC port directly (docs/api.md, "Calling the gRPC
            // services"): without a token it is refused; with one from POST /api/v1/auth/token it is answered.
            using (var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{args.Ports["Agent"]}"))
            {
                var agent = new AgentService.AgentServiceClient(channel);
                var question = new AskRequest { Question = "rework rate by repository this year" };
                var refused = await Assert.ThrowsAsync<RpcException>(() => agent.AskAsync(question, cancellationToken: ct).ResponseAsync);
                Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);

                using var tokenRequest = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{args.Ports["Gateway"]}/api/v1/auth/token");
                tokenRequest.Headers.Add("X-Api-Key", root.GetProperty("apiKeys")[0].GetProperty("key").GetString());
                using var tokenResponse = await http.SendAsync(tokenRequest, ct);
                var tokenBody = await tokenResponse.Content.ReadAsStringAsync(ct);
                Assert.True(tokenResponse.StatusCode == HttpStatusCode.OK, tokenBody);
                var token = JsonDocument.Parse(tokenBody).RootElement.GetProperty("access_token").GetString();
                var answered = await agent.AskAsync(question, new Metadata { { "authorization", "Bearer " + token } }, cancellationToken: ct);
                Assert.True(answered.Status == AnswerStatus.Answered, answered.Answer);
                Assert.NotEmpty(answered.RowsJson);
            }
        }
        finally
        {
            // Then whatever of the orchestrator the app's own stop left running (docs/reliability.md, "What a test run leaves").
            (orchestratorProcesses, var stopped) = await Orchestrator.StopAppAsync(async () =>
            {
                await app.StopAsync(CancellationToken.None);
                await app.DisposeAsync();
            });
            if (stopped.Length > 0)
            {
                TestContext.Current.SendDiagnosticMessage(stopped);
            }
        }

        await AssertNothingLeftBehindAsync(args, ct);
        // The orchestrator of the running app was found (by its API server's --monitor of this process), so the clean-up
        // above is not a no-op.
        Assert.True(orchestratorProcesses >= 2, $"{orchestratorProcesses} orchestrator processes found for the running app");
    }

    /// <summary>Healthy, or a clear failure as soon as the resource has stopped (a crashed service does not wait for the timeout).</summary>
    private static async Task WaitHealthyAsync(ResourceNotificationService notifications, string name, CancellationToken ct)
    {
        ResourceEvent e;
        try
        {
            e = await notifications.WaitForResourceAsync(name,
                e => e.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy
                     || KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), ct);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"{name} did not become healthy in time");
            throw;
        }
        Assert.True(e.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy,
            $"{name} ended in state {e.Snapshot.State?.Text} (exit code {e.Snapshot.ExitCode}) instead of becoming healthy");
    }

    private static async Task<string> ReadFailureAsync(AppHostArgs args) =>
        File.Exists(args.RunInfoPath) ? await File.ReadAllTextAsync(args.RunInfoPath) : "(no run-info written)";

    /// <summary>No process runs from the run directory, no port stays bound, no postmaster.pid remains.</summary>
    private static async Task AssertNothingLeftBehindAsync(AppHostArgs args, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        List<string> left;
        do
        {
            left = [];
            foreach (var dir in Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _)))
            {
                try
                {
                    var cmd = File.ReadAllText($"/proc/{dir}/cmdline").Replace('\0', ' ');
                    var env = File.ReadAllText($"/proc/{dir}/environ");
                    if (cmd.Contains(args.RunDirectory, StringComparison.Ordinal) || env.Contains(args.RunDirectory, StringComparison.Ordinal)
                        || env.Contains($"ERL_EPMD_PORT={args.Ports["Epmd"]}\0", StringComparison.Ordinal))
                    {
                        left.Add($"{dir}: {cmd}");
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Exited meanwhile.
                }
            }
            foreach (var (name, port) in args.Ports)
            {
                if (!NativeProcess.IsPortFree(port))
                {
                    left.Add($"port {name} {port} still bound");
                }
            }
            foreach (var server in new[] { "primary", "replica" })
            {
                if (File.Exists(Path.Combine(args.RunDirectory, "data", server, "postmaster.pid")))
                {
                    left.Add($"{server}/postmaster.pid");
                }
            }
            if (left.Count == 0)
            {
                return;
            }
            await Task.Delay(250, ct);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail("Left behind after stop: " + string.Join("; ", left));
    }
}
