using System.Globalization;
using Microsoft.Extensions.Configuration;
using StrategicAgent.LocalServers;

namespace StrategicAgent.AppHost;

/// <summary>Where PostgreSQL and RabbitMQ come from.</summary>
public enum InfrastructureMode
{
    /// <summary>Containers when a container engine answers, otherwise local executables.</summary>
    Auto,
    Containers,
    Executables,
}

/// <summary>Every port the app model fixes. Defaults: docs/CONVENTIONS.md.</summary>
public sealed record PortSettings
{
    public int Primary { get; init; } = 18932;
    public int Replica { get; init; } = 18933;
    public int Amqp { get; init; } = 18972;
    public int RabbitMqDistribution { get; init; } = 18973;
    public int Epmd { get; init; } = 18974;
    public int Gateway { get; init; } = 18980;
    public int Web { get; init; } = 18990;
    public int Agent { get; init; } = 18941;
    public int Validation { get; init; } = 18942;
    public int MlTraining { get; init; } = 18943;
    public int Prediction { get; init; } = 18944;
    public int AgentHttp { get; init; } = 18951;
    public int ValidationHttp { get; init; } = 18952;
    public int MlTrainingHttp { get; init; } = 18953;
    public int PredictionHttp { get; init; } = 18954;
}

/// <summary>
/// The AppHost's own settings (section <c>StrategicAgent</c>; a few short environment aliases
/// such as <c>SA_INFRA</c>), read and checked once at start so a bad value fails before anything
/// is launched, with the setting's name in the message.
/// </summary>
public sealed class AppHostSettings
{
    public const string Section = "StrategicAgent";

    public required InfrastructureMode Mode { get; init; }
    /// <summary>Run state: data directories, launchers, run-info.json.</summary>
    public required string RunDirectory { get; init; }
    public required string DataDirectory { get; init; }
    public required string RunInfoPath { get; init; }
    public required string PostgresBinDirectory { get; init; }
    public required string PostgresPassword { get; init; }
    /// <summary>
    /// Password of the replica's tenant-read login role sa_reader (<c>StrategicAgent:Postgres:ReaderPassword</c>);
    /// when not configured, a random one per start: the migrator sets it on the role before any service connects.
    /// </summary>
    public required string PostgresReaderPassword { get; init; }
    /// <summary>
    /// Password of the agent's login role on the primary, sa_agent (<c>StrategicAgent:Postgres:AgentPassword</c>);
    /// when not configured, a random one per start, set by the migrator like the reader's.
    /// </summary>
    public required string PostgresAgentPassword { get; init; }
    /// <summary>Password of the gateway's login role on the primary, sa_gateway (<c>StrategicAgent:Postgres:GatewayPassword</c>); as above.</summary>
    public required string PostgresGatewayPassword { get; init; }
    /// <summary>Password of the ml writers' login role on the replica, sa_ml (<c>StrategicAgent:Postgres:MlPassword</c>); as above.</summary>
    public required string PostgresMlPassword { get; init; }
    public required string RabbitMqServerScript { get; init; }
    public required PortSettings Ports { get; init; }
    public required string DemoDataSize { get; init; }
    public int? DemoDataSeed { get; init; }
    /// <summary><c>StrategicAgent:Llm:*</c>, passed to every service as <c>Llm__*</c>.</summary>
    public required IReadOnlyDictionary<string, string> Llm { get; init; }
    public string? DashboardUrl { get; init; }

    public static readonly string[] DemoDataSizes = ["None", "Small", "Medium", "Large"];

    private static string LoginPassword(string? configured, string key)
    {
        if (configured is null)
        {
            return Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        }
        if (configured.Length < 12 || configured.Any(c => c is <= ' ' or > '~' or ';' or '\'' or '"'))
        {
            throw new InvalidOperationException(
                $"StrategicAgent:Postgres:{key} must be at least 12 printable ASCII characters without spaces, quotes or ';' " +
                "(or leave it unset for a random one per start).");
        }
        return configured;
    }

    public static AppHostSettings Read(IConfiguration configuration, string appHostDirectory)
    {
        var section = configuration.GetSection(Section);

        var modeText = section["Infrastructure"] ?? configuration["SA_INFRA"] ?? nameof(InfrastructureMode.Auto);
        if (!Enum.TryParse<InfrastructureMode>(modeText, ignoreCase: true, out var mode) || !Enum.IsDefined(mode))
        {
            throw new InvalidOperationException(
                $"StrategicAgent:Infrastructure (or SA_INFRA) is '{modeText}'; use Auto, Containers or Executables.");
        }

        var repoRoot = Path.GetFullPath(Path.Combine(appHostDirectory, "..", ".."));
        var runDirectory = Path.GetFullPath(section["RunDirectory"] ?? configuration["SA_RUN_DIR"] ?? Path.Combine(repoRoot, ".run"));
        var dataDirectory = Path.GetFullPath(section["DataDirectory"] ?? Path.Combine(runDirectory, "data"));

        var ports = new PortSettings();
        var portSection = section.GetSection("Ports");
        foreach (var property in typeof(PortSettings).GetProperties())
        {
            var text = portSection[property.Name];
            if (text is null)
            {
                continue;
            }
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                throw new InvalidOperationException($"StrategicAgent:Ports:{property.Name} is '{text}'; it must be a TCP port between 1 and 65535.");
            }
            property.SetValue(ports, port);
        }
        var duplicates = typeof(PortSettings).GetProperties()
            .GroupBy(p => (int)p.GetValue(ports)!)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key} ({string.Join(", ", g.Select(p => "StrategicAgent:Ports:" + p.Name))})")
            .ToList();
        if (duplicates.Count > 0)
        {
            throw new InvalidOperationException("The same port is configured twice: " + string.Join("; ", duplicates) + ".");
        }

        var size = section["DemoData:Size"] ?? "Medium";
        var canonicalSize = DemoDataSizes.FirstOrDefault(s => s.Equals(size, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"StrategicAgent:DemoData:Size is '{size}'; use one of {string.Join(", ", DemoDataSizes)}.");
        int? seed = null;
        if (section["DemoData:Seed"] is { } seedText)
        {
            seed = int.TryParse(seedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s)
                ? s
                : throw new InvalidOperationException($"StrategicAgent:DemoData:Seed is '{seedText}'; it must be an integer.");
        }

        var llm = section.GetSection("Llm").AsEnumerable(makePathsRelative: true)
            .Where(kv => kv.Value is not null)
            .ToDictionary(kv => kv.Key, kv => kv.Value!);
        llm.TryAdd("Provider", "Offline");

        var dashboard = configuration["ASPNETCORE_URLS"]?.Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();

        return new AppHostSettings
        {
            Mode = mode,
            RunDirectory = runDirectory,
            DataDirectory = dataDirectory,
            RunInfoPath = Path.GetFullPath(section["RunInfoPath"] ?? Path.Combine(runDirectory, "run-info.json")),
            PostgresBinDirectory = section["Postgres:BinDirectory"] ?? configuration["SA_PG_BIN"] ?? PostgresServer.DefaultBinDirectory,
            PostgresPassword = section["Postgres:Password"] ?? "postgres",
            PostgresReaderPassword = LoginPassword(section["Postgres:ReaderPassword"], "ReaderPassword"),
            PostgresAgentPassword = LoginPassword(section["Postgres:AgentPassword"], "AgentPassword"),
            PostgresGatewayPassword = LoginPassword(section["Postgres:GatewayPassword"], "GatewayPassword"),
            PostgresMlPassword = LoginPassword(section["Postgres:MlPassword"], "MlPassword"),
            RabbitMqServerScript = section["RabbitMq:ServerScript"] ?? configuration["SA_RABBITMQ_SERVER"] ?? RabbitMqServer.DefaultServerScript,
            Ports = ports,
            DemoDataSize = canonicalSize,
            DemoDataSeed = seed,
            Llm = llm,
            DashboardUrl = dashboard,
        };
    }
}
