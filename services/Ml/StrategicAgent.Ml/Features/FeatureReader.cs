using System.Data.Common;
using System.Reflection;
using Npgsql;

namespace StrategicAgent.Ml.Features;

/// <summary>
/// Reads feature rows from a feature view into the row classes. NULL numbers become NaN (LightGBM
/// treats NaN as missing), NULL strings become "".
/// </summary>
public static class FeatureReader
{
    /// <summary>Training rows of a model's view (newest <paramref name="maxRows"/>, oldest first).</summary>
    public static async Task<List<T>> ReadTrainingRowsAsync<T>(NpgsqlDataSource replica, FeatureSet set, int maxRows, CancellationToken ct)
        where T : class, IFeatureRow, new()
    {
        await using var conn = await replica.OpenConnectionAsync(ct);
        await using var tx = await BeginTrainingReadAsync(conn, ct);
        await using var cmd = new NpgsqlCommand(set.TrainingSql, conn, tx);
        cmd.CommandTimeout = 0; // large training reads are bounded by the caller's token, not a fixed timeout
        cmd.Parameters.Add(new NpgsqlParameter { Value = (long)maxRows });
        List<T> rows;
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            rows = await ReadAllAsync<T>(reader, ct);
        }
        await tx.CommitAsync(ct);
        return rows;
    }

    /// <summary>
    /// A read-only transaction for a whole-view training read. Nested loops are switched off for it:
    /// the views join window-function results whose row counts the planner cannot estimate, and
    /// a nested loop over two such underestimated inputs turned a 1-second read into minutes. Full
    /// reads want hash joins anyway; the per-row LATERAL lookups still run as nested loops.
    /// </summary>
    public static async Task<NpgsqlTransaction> BeginTrainingReadAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        await using var batch = new NpgsqlBatch(conn, tx)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SET TRANSACTION READ ONLY"),
                new NpgsqlBatchCommand("SET LOCAL enable_nestloop = off"),
                new NpgsqlBatchCommand("SET LOCAL work_mem = '128MB'"),
            },
        };
        await batch.ExecuteNonQueryAsync(ct);
        return tx;
    }

    /// <summary>Rows to predict for one tenant, by entity id (any order).</summary>
    public static async Task<List<T>> ReadPredictionRowsAsync<T>(NpgsqlDataSource replica, FeatureSet set, long clientId,
        IReadOnlyCollection<long> entityIds, CancellationToken ct)
        where T : class, IFeatureRow, new()
    {
        await using var cmd = replica.CreateCommand(set.PredictionSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = clientId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = entityIds.ToArray() });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await ReadAllAsync<T>(reader, ct);
    }

    public static async Task<List<T>> ReadAllAsync<T>(DbDataReader reader, CancellationToken ct) where T : class, new()
    {
        var setters = Bind<T>(reader);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct))
        {
            var row = new T();
            foreach (var (ordinal, prop) in setters)
            {
                prop.SetValue(row, Convert(reader, ordinal, prop.PropertyType));
            }
            rows.Add(row);
        }
        return rows;
    }

    private static List<(int Ordinal, PropertyInfo Property)> Bind<T>(DbDataReader reader)
    {
        var byColumn = FeatureSet.Columns(typeof(T)).ToDictionary(c => c.Column, c => c.Property, StringComparer.Ordinal);
        var list = new List<(int, PropertyInfo)>();
        for (var i = 0; i < reader.FieldCount; i++)
        {
            if (byColumn.TryGetValue(reader.GetName(i), out var prop))
            {
                list.Add((i, prop));
            }
        }
        return list;
    }

    private static object? Convert(DbDataReader r, int i, Type t)
    {
        var isNull = r.IsDBNull(i);
        if (t == typeof(float))
        {
            return isNull ? float.NaN : System.Convert.ToSingle(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
        }
        if (t == typeof(string))
        {
            return isNull ? "" : System.Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
        }
        if (t == typeof(long))
        {
            return isNull ? 0L : System.Convert.ToInt64(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
        }
        if (t == typeof(DateTime))
        {
            return isNull ? DateTime.MinValue : r.GetFieldValue<DateTime>(i);
        }
        if (t == typeof(bool))
        {
            return !isNull && r.GetBoolean(i);
        }
        throw new NotSupportedException($"Feature property type {t.Name} is not supported.");
    }
}
