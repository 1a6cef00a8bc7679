using System.Text.Json.Nodes;
using Xunit;

namespace StrategicAgent.Deploy.Tests;

/// <summary>deploy/ against the AppHost's model (built, never started), and that the check can fail.</summary>
public sealed class ParityTests
{
    private static IReadOnlyList<Manifest> Deploy() => ManifestSet.LoadKustomization(ManifestSet.DeployDirectory).Objects;

    /// <summary>deploy/ with one container's env changed by <paramref name="edit"/>.</summary>
    private static List<Manifest> WithEnv(string workload, Action<JsonArray> edit)
    {
        var copy = Deploy().Select(m => m with { Node = (JsonObject)m.Node.DeepClone() }).ToList();
        var target = copy.Single(m => m.Name == workload && m.Kind is "Deployment" or "Job");
        edit(target.Node["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray());
        return copy;
    }

    [Fact]
    public async Task Deploy_matches_the_apphost()
    {
        var appHost = await AppModel.ServicesAsync(TestContext.Current.CancellationToken);
        Assert.Superset(new HashSet<string> { "migrator", "validation", "prediction", "ml-training", "agent", "gateway", "web" }, appHost.Keys.ToHashSet());
        var findings = Parity.Check(appHost, Deploy());
        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    [Fact]
    public async Task A_variable_the_apphost_gives_but_deploy_lacks_fails()
    {
        var appHost = await AppModel.ServicesAsync(TestContext.Current.CancellationToken);
        var broken = WithEnv("agent", env => env.Remove(env.Single(e => (string?)e!["name"] == "services__validation__grpc__0")));
        Assert.Contains(Parity.Check(appHost, broken), f => f.Contains("agent: the AppHost sets services__validation__grpc__0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_web_uis_gateway_address_is_checked_like_a_grpc_reference()
    {
        var appHost = await AppModel.ServicesAsync(TestContext.Current.CancellationToken);
        var missing = WithEnv("web", env => env.Remove(env.Single(e => (string?)e!["name"] == "services__gateway__http__0")));
        Assert.Contains(Parity.Check(appHost, missing), f => f.Contains("web: the AppHost sets services__gateway__http__0", StringComparison.Ordinal));
        var wrongPort = WithEnv("web", env => env.Single(e => (string?)e!["name"] == "services__gateway__http__0")!["value"] = "http://gateway:9090");
        Assert.Contains(Parity.Check(appHost, wrongPort), f => f.Contains("does not reach Service 'gateway' port 'http'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_variable_unknown_to_the_apphost_fails()
    {
        var appHost = await AppModel.ServicesAsync(TestContext.Current.CancellationToken);
        var broken = WithEnv("validation", env => env.Add(new JsonObject { ["name"] = "Validation__MaxRows", ["value"] = "5" }));
        Assert.Contains(Parity.Check(appHost, broken), f => f.Contains("validation: the Deployment sets Validation__MaxRows", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Another_login_a_literal_password_or_a_wrong_service_port_fails()
    {
        var appHost = await AppModel.ServicesAsync(TestContext.Current.CancellationToken);
        void Set(JsonArray env, string name, string value) => env.Single(e => (string?)e!["name"] == name)!["value"] = value;

        var superuser = WithEnv("validation", env => Set(env, "ConnectionStrings__replica", "Host=sa-ml-rw;Port=5432;Username=postgres;Password=$(PG_ML_READER_PASSWORD);Database=strategicagent"));
        Assert.Contains(Parity.Check(appHost, superuser), f => f.Contains("must log in as sa_reader", StringComparison.Ordinal));

        var literal = WithEnv("validation", env => Set(env, "ConnectionStrings__replica", "Host=sa-ml-rw;Port=5432;Username=sa_reader;Password=secret-in-git;Database=strategicagent"));
        Assert.Contains(Parity.Check(appHost, literal), f => f.Contains("password from a secret", StringComparison.Ordinal));

        var wrongPort = WithEnv("gateway", env => Set(env, "services__agent__grpc__0", "http://agent:8080"));
        Assert.Contains(Parity.Check(appHost, wrongPort), f => f.Contains("does not reach Service 'agent' port 'grpc'", StringComparison.Ordinal));

        var wrongContainerPort = WithEnv("agent", env => Set(env, "Endpoints__GrpcPort", "9000"));
        Assert.Contains(Parity.Check(appHost, wrongContainerPort), f => f.Contains("Endpoints__GrpcPort=9000", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_service_the_apphost_runs_without_a_deployment_fails()
    {
        var appHost = await AppModel.ServicesAsync(TestContext.Current.CancellationToken);
        var without = Deploy().Where(m => !(m.Kind == "Deployment" && m.Name == "prediction")).ToList();
        Assert.Contains(Parity.Check(appHost, without), f => f.StartsWith("prediction: the AppHost runs it", StringComparison.Ordinal));
    }
}
