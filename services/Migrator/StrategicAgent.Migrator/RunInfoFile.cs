using System.Globalization;
using System.Text;
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
            ["status"] = "ready",
            ["generatedAt"] = DateTimeOffset.UtcNow.ToString("O"),
            ["mode"] = options.RunInfo.Mode,
            ["dashboardUrl"] = options.RunInfo.DashboardUrl,
            ["gatewayUrl"] = options.RunInfo.GatewayUrl,
            ["webUrl"] = options.RunInfo.WebUrl,
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
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"Dashboard:   {options.RunInfo.DashboardUrl ?? "(not configured)"}")
            .AppendLine(CultureInfo.InvariantCulture, $"Web UI:      {options.RunInfo.WebUrl ?? "(not configured)"}")
            .AppendLine(CultureInfo.InvariantCulture, $"Gateway:     {options.RunInfo.GatewayUrl ?? "(not configured)"}")
            .AppendLine(CultureInfo.InvariantCulture, $"Infrastructure: {options.RunInfo.Mode}")
            .AppendLine(CultureInfo.InvariantCulture, $"primary:     {options.PrimaryConnectionString}")
            .AppendLine(CultureInfo.InvariantCulture, $"replica:     {options.ReplicaConnectionString}")
            .AppendLine(CultureInfo.InvariantCulture, $"messaging:   {options.MessagingConnectionString}")
            .AppendLine(CultureInfo.InvariantCulture, $"Data:        {result.Tenants} tenants, {result.Issues} issues")
            .AppendLine("Demo API keys (header X-Api-Key):");
        foreach (var k in result.ApiKeys)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {k.ClientId,3}  {k.Client,-24} {k.Key}");
        }
        await WriteFilesAsync(options.RunInfo.Path!, info, text.ToString(), ct);
    }

    /// <summary>Records a failed run, so the run command stops waiting and shows why.</summary>
    public static Task WriteFailureAsync(string path, string error, CancellationToken ct) =>
        WriteFilesAsync(path, new JsonObject
        {
            ["status"] = "failed",
            ["generatedAt"] = DateTimeOffset.UtcNow.ToString("O"),
            ["error"] = error,
        }, "Migrator FAILED: " + error + Environment.NewLine, ct);

    /// <summary>run-info.json and, beside it, run-info.txt for people.</summary>
    private static async Task WriteFilesAsync(string path, JsonObject json, string text, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await WriteAtomicAsync(Path.ChangeExtension(path, ".txt"), text, ct);
        await WriteAtomicAsync(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), ct);
    }

    private static async Task WriteAtomicAsync(string path, string content, CancellationToken ct)
    {
        var temp = path + ".tmp";
        await File.WriteAllTextAsync(temp, content, ct);
        // It holds keys and passwords: owner only.
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
    }
}
