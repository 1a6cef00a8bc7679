using Microsoft.Extensions.Configuration;
using StrategicAgent.AppHost;

var builder = DistributedApplication.CreateBuilder(args);
// Servers and services that exit by themselves are started again (CrashRestarts.cs).
builder.AddCrashRestarts();

var settings = AppHostSettings.Read(builder.Configuration, builder.AppHostDirectory);
var mode = settings.Mode;
if (mode == InfrastructureMode.Auto)
{
    mode = ContainerEngine.IsRunning(builder.Configuration["ASPIRE_CONTAINER_RUNTIME"], TimeSpan.FromSeconds(10))
        ? InfrastructureMode.Containers
        : InfrastructureMode.Executables;
}
CheckServicePortsFree(settings.Ports);

var infra = mode == InfrastructureMode.Containers
    ? builder.AddContainerInfrastructure(settings)
    : await builder.AddLocalInfrastructureAsync(settings, builder.Configuration.GetValue("StrategicAgent:Postgres:Durable", true), CancellationToken.None);

// Schema on both databases, the subscription, demo data and demo API keys; everything else waits for it to finish.
var migrator = builder.AddProject<Projects.StrategicAgent_Migrator>("migrator")
    .WithReference(infra.Primary).WaitFor(infra.Primary)
    .WithReference(infra.Replica).WaitFor(infra.Replica)
    .WithReference(infra.Logins.ReplicaReader)
    .WithReference(infra.Logins.PrimaryAgent)
    .WithReference(infra.Logins.PrimaryGateway)
    .WithReference(infra.Logins.ReplicaMl)
    .WithReference(infra.Messaging)
    .WithEnvironment("Replication__PrimaryHost", infra.PrimaryHostSeenByReplica)
    .WithEnvironment("Replication__PrimaryPort", infra.PrimaryPortSeenByReplica.ToString(System.Globalization.CultureInfo.InvariantCulture))
    .WithEnvironment("DemoData__Size", settings.DemoDataSize)
    .WithEnvironment("RunInfo__Path", settings.RunInfoPath)
    .WithEnvironment("RunInfo__ApiKeysPath", Path.Combine(settings.DataDirectory, "demo-api-keys.json"))
    .WithEnvironment("RunInfo__Mode", mode.ToString())
    .WithEnvironment("RunInfo__GatewayUrl", "http://localhost:" + settings.Ports.Gateway.ToString(System.Globalization.CultureInfo.InvariantCulture))
    .WithEnvironment("RunInfo__WebUrl", "http://localhost:" + settings.Ports.Web.ToString(System.Globalization.CultureInfo.InvariantCulture));
if (settings.DemoDataSeed is { } seed)
{
    migrator.WithEnvironment("DemoData__Seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
if (settings.DashboardUrl is { } dashboardUrl)
{
    migrator.WithEnvironment("RunInfo__DashboardUrl", dashboardUrl);
}

// Tenant reads on the replica log in as sa_reader (it can only become sa_query); the ml writers
// (ml-training; prediction's registry, log and alerts) as sa_ml (platform tables read, ml schema).
var validation = builder.AddGrpcService<Projects.StrategicAgent_Validation>("validation", settings.Ports.Validation, settings.Ports.ValidationHttp, infra, migrator, settings,
    ReplicaAccess.TenantReadsOnly);
var prediction = builder.AddGrpcService<Projects.StrategicAgent_Prediction>("prediction", settings.Ports.Prediction, settings.Ports.PredictionHttp, infra, migrator, settings,
        ReplicaAccess.MlWriter, primary: infra.Primary)
    .WithReference(infra.Logins.ReplicaReader)
    .WithReference(infra.Messaging).WaitFor(infra.Messaging)
    // The prediction log's write-ahead spool: kept with the run's data, so a restarted service writes what a killed one left.
    .WithEnvironment("PredictionLog__SpoolDirectory", Path.Combine(settings.DataDirectory, "prediction-log-spool"));
var mlTraining = builder.AddGrpcService<Projects.StrategicAgent_MlTraining>("ml-training", settings.Ports.MlTraining, settings.Ports.MlTrainingHttp, infra, migrator, settings,
        ReplicaAccess.MlWriter)
    .WithReference(infra.Messaging).WaitFor(infra.Messaging);
// The agent, which handles untrusted text, logs in to the primary as sa_agent (its own tables only).
var agent = builder.AddGrpcService<Projects.StrategicAgent_Agent>("agent", settings.Ports.Agent, settings.Ports.AgentHttp, infra, migrator, settings,
        ReplicaAccess.TenantReadsOnly, primary: infra.Logins.PrimaryAgent)
    .WithReference(validation).WaitFor(validation)
    .WithReference(prediction).WaitFor(prediction);

// The only holder of the caller-token signing key: it mints the token every gRPC call carries.
var signingKey = builder.AddParameter("auth-signing-key", settings.AuthSigningKey, secret: true);
var gateway = builder.AddProject<Projects.StrategicAgent_Gateway>("gateway")
    .WithRestartOnExit()
    .WithHttpEndpoint(port: settings.Ports.Gateway, name: "http", env: "Endpoints__HttpPort", isProxied: false)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck(ServiceDefaultsPaths.Health, endpointName: "http")
    // API key lookups only: the primary as sa_gateway.
    .WithReference(infra.Logins.PrimaryGateway, connectionName: "primary")
    .WithLlmSettings(settings)
    .WithEnvironment("Auth__SigningKey", signingKey)
    .WaitForCompletion(migrator)
    .WithReference(agent).WaitFor(agent)
    .WithReference(validation).WaitFor(validation)
    .WithReference(mlTraining).WaitFor(mlTraining)
    .WithReference(prediction).WaitFor(prediction);

// The web UI: a client of the gateway's HTTP API only (no database, no gRPC).
builder.AddProject<Projects.StrategicAgent_Web>("web")
    .WithRestartOnExit()
    .WithHttpEndpoint(port: settings.Ports.Web, name: "http", env: "Endpoints__HttpPort", isProxied: false)
    .WithExternalHttpEndpoints()
    // /ready, not /health: the web UI's /health is its operators' Health page (a sign-in redirect to a probe).
    .WithHttpHealthCheck(ServiceDefaultsPaths.Ready, endpointName: "http")
    .WithReference(gateway).WaitFor(gateway);

builder.Build().Run();

void CheckServicePortsFree(PortSettings p)
{
    foreach (var (port, what, key) in new[]
    {
        (p.Gateway, "the gateway (HTTP)", nameof(p.Gateway)),
        (p.Web, "the web UI (HTTP)", nameof(p.Web)),
        (p.Agent, "the agent (gRPC)", nameof(p.Agent)),
        (p.Validation, "validation (gRPC)", nameof(p.Validation)),
        (p.MlTraining, "ml-training (gRPC)", nameof(p.MlTraining)),
        (p.Prediction, "prediction (gRPC)", nameof(p.Prediction)),
        (p.AgentHttp, "the agent (health HTTP)", nameof(p.AgentHttp)),
        (p.ValidationHttp, "validation (health HTTP)", nameof(p.ValidationHttp)),
        (p.MlTrainingHttp, "ml-training (health HTTP)", nameof(p.MlTrainingHttp)),
        (p.PredictionHttp, "prediction (health HTTP)", nameof(p.PredictionHttp)),
    })
    {
        StrategicAgent.LocalServers.NativeProcess.EnsurePortFree(port, what, "StrategicAgent:Ports:" + key);
    }
}
