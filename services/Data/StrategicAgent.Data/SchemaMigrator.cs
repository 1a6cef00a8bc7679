using System.Reflection;
using DbUp;
using DbUp.Engine;
using DbUp.Engine.Output;
using Microsoft.Extensions.Logging;

namespace StrategicAgent.Data;

/// <summary>Which database a migration run targets: the primary or the logical replica.</summary>
public enum DatabaseRole
{
    Primary,
    Replica,
}

/// <summary>
/// Applies the embedded SQL migrations with DbUp. The shared platform schema goes to both
/// databases (logical replication does not copy DDL); the publication only to the primary; the
/// <c>ml</c> schema only to the replica. The journal lives in its own schema so it is never
/// published. Re-running applies no numbered migration twice; the repeatable view scripts
/// (<c>Migrations/Replica/Views</c>) run every time and leave an unchanged view as it was.
/// </summary>
public static class SchemaMigrator
{
    private const string ResourcePrefix = "StrategicAgent.Data.Migrations.";
    private const string ViewsFolder = ".Views.";

    /// <summary>Whether a script name returned by <see cref="Migrate"/> is a repeatable view script (run on every start).</summary>
    public static bool IsViewScript(string scriptName) => scriptName.Contains(ViewsFolder, StringComparison.Ordinal);

    public static IReadOnlyList<string> Migrate(string connectionString, DatabaseRole role, ILogger logger)
    {
        var folder = role == DatabaseRole.Primary ? "Primary." : "Replica.";
        var upgrader = DeployChanges.To
            .PostgresqlDatabase(connectionString, "migrations")
            .JournalToPostgresqlTable("migrations", "schemaversions")
            .WithScriptsEmbeddedInAssembly(
                Assembly.GetExecutingAssembly(),
                name => (name.StartsWith(ResourcePrefix + "Shared.", StringComparison.Ordinal)
                         || name.StartsWith(ResourcePrefix + folder, StringComparison.Ordinal))
                        && !IsViewScript(name))
            // Repeatable scripts (<role>/Views/*.sql, one per view): not journaled, run after every
            // numbered migration on each start, in file-name order. A view's definition lives in
            // one file instead of a copy in each migration that changed it.
            .WithScriptsEmbeddedInAssembly(
                Assembly.GetExecutingAssembly(),
                name => name.StartsWith(ResourcePrefix + folder + "Views.", StringComparison.Ordinal),
                new SqlScriptOptions { ScriptType = DbUp.Support.ScriptType.RunAlways, RunGroupOrder = DbUpDefaults.DefaultRunGroupOrder + 100 })
            // Order by the numeric file name, not by folder: 0001..0004 shared, then 0100 role-specific.
            .WithScriptNameComparer(new FileNameComparer())
            .WithTransactionPerScript()
            .LogTo(new DbUpLogger(logger))
            .Build();

        EnsureJournalSchema(connectionString);
        var result = upgrader.PerformUpgrade();
        if (!result.Successful)
        {
            throw new InvalidOperationException(
                $"Migration of the {role.ToString().ToLowerInvariant()} failed in script '{result.ErrorScript?.Name}': {result.Error.Message}",
                result.Error);
        }
        return result.Scripts.Select(s => s.Name).ToList();
    }

    private static void EnsureJournalSchema(string connectionString)
    {
        using var conn = new Npgsql.NpgsqlConnection(connectionString);
        conn.Open();
        using var cmd = new Npgsql.NpgsqlCommand("CREATE SCHEMA IF NOT EXISTS migrations", conn);
        cmd.ExecuteNonQuery();
    }

    private sealed class FileNameComparer : IComparer<string>
    {
        public int Compare(string? x, string? y) =>
            string.CompareOrdinal(FileName(x), FileName(y));

        private static string FileName(string? resource)
        {
            if (resource is null)
            {
                return string.Empty;
            }
            var withoutExt = resource[..resource.LastIndexOf('.')];
            return withoutExt[(withoutExt.LastIndexOf('.') + 1)..];
        }
    }

    private sealed class DbUpLogger(ILogger logger) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) => logger.LogTrace("{Message}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
        public void LogDebug(string format, params object[] args) => logger.LogDebug("{Message}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
        public void LogInformation(string format, params object[] args) => logger.LogInformation("{Message}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
        public void LogWarning(string format, params object[] args) => logger.LogWarning("{Message}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
        public void LogError(string format, params object[] args) => logger.LogError("{Message}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
        public void LogError(Exception ex, string format, params object[] args) => logger.LogError(ex, "{Message}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
    }
}
