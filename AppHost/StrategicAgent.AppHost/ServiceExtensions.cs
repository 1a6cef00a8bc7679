using Aspire.Hosting.ApplicationModel;

namespace StrategicAgent.AppHost;

public static class ServiceDefaultsPaths
{
    public const string Health = "/health";
    public const string Ready = "/ready";
}

/// <summary>How a service logs in to the replica (docs/CONVENTIONS.md, "Data").</summary>
public enum ReplicaAccess
{
    /// <summary>As sa_ml: the ml writers (training; registry, prediction log, alerts).</summary>
    MlWriter,

    /// <summary>As sa_reader: every replica read of the service runs in a TenantSession.</summary>
    TenantReadsOnly,
}

public static class ServiceExtensions
{
    /// <summary>
    /// A gRPC service: endpoint <c>grpc</c> (HTTP/2 only, fixed port, read by the service as
    /// <c>Endpoints:GrpcPort</c>) and endpoint <c>http</c> (HTTP/1 for /health and /alive,
    /// <c>Endpoints:HttpPort</c>); both unproxied so the ports are the documented ones. Clients
    /// resolve it as <c>http://_grpc.&lt;name&gt;</c>. It starts once the migrator has finished, and
    /// again whenever it exits by itself (<see cref="CrashRestartExtensions.WithRestartOnExit{T}"/>).
    /// </summary>
    /// <param name="replica">
    /// What <c>ConnectionStrings:replica</c> is: the sa_reader login for a service that only reads
    /// tenant data there (in TenantSession), the sa_ml login for the ml writers. No service gets the superuser.
    /// </param>
    /// <param name="primary">
    /// What <c>ConnectionStrings:primary</c> is, when the service uses the primary at all (the agent:
    /// <c>primary-agent</c>; prediction: the primary, for the exact replication lag); none otherwise.
    /// </param>
    public static IResourceBuilder<ProjectResource> AddGrpcService<TProject>(
        this IDistributedApplicationBuilder builder, string name, int grpcPort, int httpPort,
        Infrastructure infra, IResourceBuilder<ProjectResource> migrator, AppHostSettings settings,
        ReplicaAccess replica, IResourceBuilder<IResourceWithConnectionString>? primary = null)
        where TProject : IProjectMetadata, new()
    {
        var service = builder.AddProject<TProject>(name)
            .WithRestartOnExit()
            .WithHttpEndpoint(port: grpcPort, name: "grpc", env: "Endpoints__GrpcPort", isProxied: false)
            .WithEndpoint("grpc", e => e.Transport = "http2")
            .WithHttpEndpoint(port: httpPort, name: "http", env: "Endpoints__HttpPort", isProxied: false)
            .WithHttpHealthCheck(ServiceDefaultsPaths.Health, endpointName: "http")
            .WithReference(replica == ReplicaAccess.TenantReadsOnly ? infra.Logins.ReplicaReader : infra.Logins.ReplicaMl, connectionName: "replica")
            .WithLlmSettings(settings)
            // Verify-only: the services get the public key, never the signing key.
            .WithEnvironment("Auth__PublicKey", settings.AuthPublicKey)
            .WaitForCompletion(migrator);
        return primary is null ? service : service.WithReference(primary, connectionName: "primary");
    }

    /// <summary><c>Llm__Provider</c> (Offline unless configured) and any other <c>StrategicAgent:Llm:*</c> setting.</summary>
    public static IResourceBuilder<ProjectResource> WithLlmSettings(this IResourceBuilder<ProjectResource> resource, AppHostSettings settings)
    {
        foreach (var (key, value) in settings.Llm)
        {
            resource.WithEnvironment("Llm__" + key.Replace(":", "__", StringComparison.Ordinal), value);
        }
        return resource;
    }
}
