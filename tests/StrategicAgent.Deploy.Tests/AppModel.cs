using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace StrategicAgent.Deploy.Tests;

// GetEnvironmentVariableValuesAsync is obsolete in Aspire 13 in favour of ExecutionConfigurationBuilder;
// for reading a built model in a test it is still the shortest honest way (as in the AppHost tests).
#pragma warning disable CS0618

/// <summary>What the AppHost gives one project: its environment (publish mode: references as expressions) and endpoints.</summary>
public sealed record AppService(
    string Name,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<(string Name, string? Transport)> Endpoints,
    IReadOnlyDictionary<string, string> ConnectionUsers);

/// <summary>The AppHost's model, built once (containers mode: no server is touched, nothing starts).</summary>
public static class AppModel
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static IReadOnlyDictionary<string, AppService>? services;

    public static async Task<IReadOnlyDictionary<string, AppService>> ServicesAsync(CancellationToken ct)
    {
        await Gate.WaitAsync(ct);
        try
        {
            return services ??= await BuildAsync(ct);
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<IReadOnlyDictionary<string, AppService>> BuildAsync(CancellationToken ct)
    {
        var runDirectory = Directory.CreateTempSubdirectory("sa-deploy-").FullName;
        try
        {
            string[] args =
            [
                "StrategicAgent:Infrastructure=Containers",
                "StrategicAgent:RunDirectory=" + runDirectory,
                // Fixed passwords: no random generation needed for a model that never starts.
                "StrategicAgent:Postgres:ReaderPassword=reader-password-1",
                "StrategicAgent:Postgres:AgentPassword=agent-password-1",
                "StrategicAgent:Postgres:GatewayPassword=gateway-password-1",
                "StrategicAgent:Postgres:MlPassword=ml-password-123",
            ];
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.StrategicAgent_AppHost>(
                args, (options, _) => options.DisableDashboard = true, ct);
            await using var app = await builder.BuildAsync(ct);
            var model = app.Services.GetRequiredService<DistributedApplicationModel>();
            var users = model.Resources.OfType<IResourceWithConnectionString>()
                .ToDictionary(r => r.Name, r => UserOf(r, model));
            var result = new Dictionary<string, AppService>();
            foreach (var project in model.Resources.OfType<ProjectResource>())
            {
                var env = await project.GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
                var endpoints = project.Annotations.OfType<EndpointAnnotation>().Select(e => (e.Name, (string?)e.Transport)).ToList();
                result[project.Name] = new AppService(project.Name, env, endpoints, users);
            }
            return result;
        }
        finally
        {
            Directory.Delete(runDirectory, recursive: true);
        }
    }

    /// <summary>The login a connection string resource uses (following nested references), or "" when it has none.</summary>
    private static string UserOf(IResourceWithConnectionString resource, DistributedApplicationModel model)
    {
        var expression = resource.ConnectionStringExpression.ValueExpression;
        var match = System.Text.RegularExpressions.Regex.Match(expression, "(?:Username|User ID)=([^;{]+)");
        if (match.Success)
        {
            return match.Groups[1].Value;
        }
        var nested = System.Text.RegularExpressions.Regex.Match(expression, @"^\{([^.}]+)\.connectionString\}");
        return nested.Success && model.Resources.OfType<IResourceWithConnectionString>().FirstOrDefault(r => r.Name == nested.Groups[1].Value) is { } parent
            ? UserOf(parent, model)
            : string.Empty;
    }
}
