using System.Text.Json;
using System.Text.Json.Nodes;

namespace StrategicAgent.Migrator;

/// <summary>
/// <c>run-info.json</c>: what a person needs to use a running system (dashboard, gateway,
/// connection strings, a demo API key per tenant). The run command prints it.
/// </summary>
public static class RunInfoFile
{
    public static async Task WriteAsync(MigratorOptions options, MigrationResult result, CancellationToken ct)
    {
        var info = new JsonObject
        {
            ["generatedAt"] = DateTimeOffset.UtcNow.ToString("O"),
            ["mode"] = options.RunInfo.Mode,
            ["dashboardUrl"] = options.RunInfo.DashboardUrl,
            ["gatewayUrl"] = options.RunInfo.GatewayUrl,
            ["connectionStrings"] = new JsonObject
            {
                ["primary"] = options.PrimaryConnectionString,
                ["replica"] = options.ReplicaConnectionString,
                ["messaging"] = options.MessagingConnectionString,
            },
            ["data"] = new JsonObject
            {
                ["tenants"] = result.Tenants,
                ["issues"] = result.Issues,
                ["demoDataLoadedNow"] = result.DemoData is not null,
                ["demoDataSize"] = options.DemoData.Size,
            },
            ["apiKeys"] = new JsonArray(result.ApiKeys
                .Select(k => (JsonNode)new JsonObject { ["clientId"] = k.ClientId, ["client"] = k.Client, ["key"] = k.Key })
                .ToArray()),
        };
        var path = options.RunInfo.Path!;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        await File.WriteAllTextAsync(temp, info.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), ct);
        // It holds keys and passwords: owner only.
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
    }
}
