using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using StrategicAgent.AppHost;
using Xunit;

namespace StrategicAgent.AppHost.Tests;

// GetArgumentValuesAsync / GetEnvironmentVariableValuesAsync are marked obsolete in Aspire 13 in
// favour of ExecutionConfigurationBuilder; for reading a built model in a test they are still
// the shortest honest way.
#pragma warning disable CS0618

/// <summary>
/// The app model as built (nothing started). Containers mode cannot run here (no engine), so its
/// wiring is checked on the model: the same resource names, references and waits as executables.
/// </summary>
public sealed class AppModelTests
{
    private static readonly string[] Services = ["validation", "prediction", "ml-training", "agent", "gateway"];

    [Fact]
    public async Task Containers_mode_has_a_logical_primary_a_replica_rabbitmq_and_the_migrator_before_every_service()
    {
        var ct = TestContext.Current.CancellationToken;
        using var args = new AppHostArgs();
        args.Settings["StrategicAgent:Infrastructure"] = "Containers";
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.StrategicAgent_AppHost>(
            args.ToArgs(), (options, _) => options.DisableDashboard = true, ct);
        await using var app = await builder.BuildAsync(ct);
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        IResource Get(string name) => model.Resources.Single(r => r.Name == name);

        var primaryServer = Assert.IsAssignableFrom<ContainerResource>(Get("postgres-primary"));
        var primaryArgs = await ((IResourceWithArgs)primaryServer).GetArgumentValuesAsync();
        Assert.Contains("wal_level=logical", primaryArgs);
        Assert.IsAssignableFrom<ContainerResource>(Get("postgres-replica"));
        Assert.IsAssignableFrom<ContainerResource>(Get("messaging"));
        foreach (var name in new[] { "primary", "replica", "messaging" })
        {
            Assert.IsAssignableFrom<IResourceWithConnectionString>(Get(name));
        }
        Assert.Equal(args.Ports["Primary"], primaryServer.Annotations.OfType<EndpointAnnotation>().Single().Port);

        var migrator = (ProjectResource)Get("migrator");
        var env = await migrator.GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
        // The replica's server reaches the primary inside the container network, by its alias.
        Assert.Equal("postgres-primary", env["Replication__PrimaryHost"]);
        Assert.Equal("5432", env["Replication__PrimaryPort"]);
        Assert.Contains("ConnectionStrings__primary", env.Keys);
        Assert.Contains("ConnectionStrings__replica", env.Keys);

        foreach (var name in Services)
        {
            var service = (ProjectResource)Get(name);
            Assert.Contains(service.Annotations.OfType<WaitAnnotation>(), w => w.Resource.Name == "migrator" && w.WaitType == WaitType.WaitForCompletion);
        }
    }

    [Fact]
    public async Task Services_have_fixed_unproxied_grpc_and_health_endpoints_and_their_references()
    {
        var ct = TestContext.Current.CancellationToken;
        using var args = new AppHostArgs();
        // Containers mode builds the model without touching local servers; the services are the same in both modes.
        args.Settings["StrategicAgent:Infrastructure"] = "Containers";
        args.Settings["StrategicAgent:Llm:Provider"] = "OpenAI";
        args.Settings["StrategicAgent:Llm:Model"] = "gpt-test";
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.StrategicAgent_AppHost>(
            args.ToArgs(), (options, _) => options.DisableDashboard = true, ct);
        await using var app = await builder.BuildAsync(ct);
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        ProjectResource Get(string name) => (ProjectResource)model.Resources.Single(r => r.Name == name);

        foreach (var (name, key) in new[] { ("validation", "Validation"), ("prediction", "Prediction"), ("ml-training", "MlTraining"), ("agent", "Agent") })
        {
            var endpoints = Get(name).Annotations.OfType<EndpointAnnotation>().ToDictionary(e => e.Name);
            Assert.Equal(args.Ports[key], endpoints["grpc"].Port);
            Assert.Equal("http2", endpoints["grpc"].Transport);
            Assert.False(endpoints["grpc"].IsProxied);
            Assert.Equal(args.Ports[key + "Http"], endpoints["http"].Port);
            Assert.False(endpoints["http"].IsProxied);
        }
        Assert.Equal(args.Ports["Gateway"], Get("gateway").Annotations.OfType<EndpointAnnotation>().Single().Port);

        static IEnumerable<string> WaitsOn(ProjectResource r) => r.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name);
        Assert.Superset(new HashSet<string> { "validation", "prediction" }, WaitsOn(Get("agent")).ToHashSet());
        Assert.Superset(new HashSet<string> { "agent", "validation", "ml-training", "prediction" }, WaitsOn(Get("gateway")).ToHashSet());
        Assert.Contains("messaging", WaitsOn(Get("ml-training")));
        Assert.Contains("messaging", WaitsOn(Get("prediction")));

        var agentEnv = await Get("agent").GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
        Assert.Equal("OpenAI", agentEnv["Llm__Provider"]);
        Assert.Equal("gpt-test", agentEnv["Llm__Model"]);
        Assert.Contains(agentEnv.Keys, k => k.StartsWith("services__validation__grpc", StringComparison.Ordinal));
        Assert.Contains(agentEnv.Keys, k => k.StartsWith("services__prediction__grpc", StringComparison.Ordinal));
        // The logins (docs/CONVENTIONS.md, "Data"): sa_reader for services that only read tenant data on the
        // replica, sa_ml for the ml writers, sa_agent and sa_gateway on the primary; only the migrator and
        // prediction's replication-lag check hold the superuser (the primary), and no service the replica's.
        foreach (var (name, primary, replica) in new (string, string?, string?)[]
        {
            ("agent", "primary-agent", "replica-reader"),
            ("validation", null, "replica-reader"),
            ("ml-training", null, "replica-ml"),
            ("prediction", "primary", "replica-ml"),
            ("gateway", "primary-gateway", null),
        })
        {
            var env = await Get(name).GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
            Assert.Equal(primary is null ? null : $"{{{primary}.connectionString}}", env.GetValueOrDefault("ConnectionStrings__primary"));
            Assert.Equal(replica is null ? null : $"{{{replica}.connectionString}}", env.GetValueOrDefault("ConnectionStrings__replica"));
        }
        var predictionEnv = await Get("prediction").GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
        Assert.Equal("{replica-reader.connectionString}", predictionEnv["ConnectionStrings__replica-reader"]);
        var migratorEnv = await Get("migrator").GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
        foreach (var (connection, role) in new[] { ("replica-reader", "sa_reader"), ("primary-agent", "sa_agent"), ("primary-gateway", "sa_gateway"), ("replica-ml", "sa_ml") })
        {
            Assert.Equal($"{{{connection}.connectionString}}", migratorEnv[$"ConnectionStrings__{connection}"]);
            var login = model.Resources.OfType<IResourceWithConnectionString>().Single(r => r.Name == connection);
            Assert.Contains($"Username={role}", login.ConnectionStringExpression.ValueExpression, StringComparison.Ordinal);
            Assert.Contains($"{{{connection}-password.value}}", login.ConnectionStringExpression.ValueExpression, StringComparison.Ordinal);
        }

        var gatewayEnv = await Get("gateway").GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
        Assert.DoesNotContain("ConnectionStrings__replica", gatewayEnv.Keys);
        // Caller tokens (docs/CONVENTIONS.md, "Who the caller is"): only the gateway holds the signing key
        // (a secret parameter, generated per start); every gRPC service gets the matching public key only.
        Assert.Equal("{auth-signing-key.value}", gatewayEnv["Auth__SigningKey"]);
        Assert.True(model.Resources.OfType<ParameterResource>().Single(p => p.Name == "auth-signing-key").Secret);
        var signingKey = await model.Resources.OfType<ParameterResource>().Single(p => p.Name == "auth-signing-key").GetValueAsync(TestContext.Current.CancellationToken);
        var publicKey = StrategicAgent.ServiceDefaults.Auth.CallerTokens.PublicKeyPemOf(signingKey!, "auth-signing-key");
        foreach (var service in new[] { "agent", "validation", "ml-training", "prediction" })
        {
            var env = await Get(service).GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
            Assert.Equal(publicKey, env["Auth__PublicKey"]);
            Assert.DoesNotContain("Auth__SigningKey", env.Keys);
        }
        foreach (var service in new[] { "agent", "validation", "ml-training", "prediction" })
        {
            Assert.Contains(gatewayEnv.Keys, k => k.StartsWith($"services__{service}__grpc", StringComparison.Ordinal));
        }

        // The web UI: its fixed port, after the gateway, and nothing but the gateway's HTTP address (no database, no gRPC).
        Assert.Equal(args.Ports["Web"], Get("web").Annotations.OfType<EndpointAnnotation>().Single().Port);
        Assert.Contains("gateway", WaitsOn(Get("web")));
        var webEnv = await Get("web").GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
        Assert.Contains(webEnv.Keys, k => k.StartsWith("services__gateway__http", StringComparison.Ordinal));
        // Every long-running project is started again when it exits by itself (CrashRestarts.cs); the migrator runs once.
        foreach (var name in new[] { "validation", "prediction", "ml-training", "agent", "gateway", "web" })
        {
            Assert.True(Get(name).HasAnnotationOfType<RestartOnExitAnnotation>(), $"{name} is not restarted when it exits by itself");
        }
        Assert.False(Get("migrator").HasAnnotationOfType<RestartOnExitAnnotation>());
        Assert.DoesNotContain(webEnv.Keys, k => k.StartsWith("ConnectionStrings__", StringComparison.Ordinal) || k.Contains("__grpc", StringComparison.Ordinal));
    }
}
