using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using StrategicAgent.Ml.Modeling;
using StrategicAgent.Ml.Registry;
using StrategicAgent.MlTraining.Domain;
using StrategicAgent.Ml.Training;

namespace StrategicAgent.MlTraining.Data;

/// <summary>Registry writes in the replica's ml schema: runs, versions, deployments.</summary>
public sealed class TrainingStore(NpgsqlDataSource replica, ModelRegistryReader reader) : ITrainingStore
{
    private const string InsertRun = """
        INSERT INTO ml.training_runs (request_id, model_name, status, requested_by, deploy_strategy, hyperparameters, stage, message, stages)
        VALUES ($1, $2, 'queued', $3, $4, $5::jsonb, 'queued', 'Waiting for a trainer to take it from the queue',
                jsonb_build_array(jsonb_build_object('stage', 'queued', 'percent', 0, 'message', 'Waiting for a trainer to take it from the queue', 'started_at', now())))
        ON CONFLICT (request_id) DO NOTHING
        """;

    // A run is taken by the trainer that holds its lease (TryLease): a queued run, or a running one whose
    // trainer died — the lease is free only when no live trainer holds it, so two deliveries of one
    // request cannot both train.
    private const string TakeRun = $"""
        UPDATE ml.training_runs SET status = 'running', stage = $2, percent = $3, message = $4, stages = {TrainingRunRows.StagesAfterChange},
            started_at = now(), updated_at = now(), failure_reason = NULL
        WHERE id = $1 AND status IN ('queued', 'running')
        RETURNING id
        """;

    // A run's lease: a session advisory lock on the connection that claimed it, held until the run ends
    // (two-int4 key space: apart from the model locks' bigint keys). PostgreSQL drops it with the connection,
    // so a SIGKILLed trainer's lease is free at once, while its TrainModel message goes back to the queue.
    private const string TryLease = "SELECT pg_try_advisory_lock(hashtext('ml.training_runs'), ($1 % 2147483647)::int)";
    private const string ReleaseLease = "SELECT pg_advisory_unlock(hashtext('ml.training_runs'), ($1 % 2147483647)::int)";

    private const string ExistingRun = "SELECT id, status, version_id, failure_reason FROM ml.training_runs WHERE request_id = $1";

    public async Task<(bool Inserted, TrainingRunState Run)> QueueRunAsync(TrainingRequest request, Hyperparameters resolved, CancellationToken ct)
    {
        await using var conn = await replica.OpenConnectionAsync(ct);
        var inserted = await InsertRunAsync(conn, request, resolved, ct);
        await using var read = new NpgsqlCommand($"SELECT {TrainingRunRows.Columns} FROM ml.training_runs WHERE request_id = $1", conn);
        read.Parameters.Add(new NpgsqlParameter { Value = request.RequestId });
        await using var r = await read.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            throw new InvalidOperationException($"Training run {request.RequestId} vanished right after it was queued.");
        }
        return (inserted, TrainingRunRows.Read(r));
    }

    public async Task DeleteQueuedRunAsync(string requestId, CancellationToken ct)
    {
        await using var cmd = replica.CreateCommand("DELETE FROM ml.training_runs WHERE request_id = $1 AND status = 'queued'");
        cmd.Parameters.Add(new NpgsqlParameter { Value = requestId });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<bool> InsertRunAsync(NpgsqlConnection conn, TrainingRequest request, Hyperparameters resolved, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand(InsertRun, conn);
        insert.Parameters.Add(new NpgsqlParameter { Value = request.RequestId });
        insert.Parameters.Add(new NpgsqlParameter { Value = request.ModelName });
        insert.Parameters.Add(new NpgsqlParameter { Value = request.RequestedBy });
        insert.Parameters.Add(new NpgsqlParameter { Value = request.DeployStrategy.ToText() });
        insert.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(resolved.ToDictionary()) });
        return await insert.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<RunClaim> ClaimRunAsync(TrainingRequest request, Hyperparameters resolved, CancellationToken ct)
    {
        var conn = await replica.OpenConnectionAsync(ct);
        AdvisoryLock? lease = null;
        var handedOver = false;
        try
        {
            // A run queued through StartTraining already has its row; one sent by the scheduler gets it here.
            await InsertRunAsync(conn, request, resolved, ct);
            var run = await ReadClaimAsync(conn, request.RequestId, ct);
            if (run.ExistingStatus is not (RunStatus.Queued or RunStatus.Running) || !await TryLeaseAsync(conn, run.RunId, ct))
            {
                return run; // finished, or a live trainer has it: a duplicate
            }
            lease = new AdvisoryLock(conn, ReleaseLease, run.RunId);
            if (run.ExistingStatus == RunStatus.Running)
            {
                await SetProgressAsync(run.RunId, new TrainingProgress(RunStage.Interrupted, 0,
                    "Its trainer stopped without finishing (killed, or cut off from the registry); taken again from the queue"), ct);
            }
            await using (var take = new NpgsqlCommand(TakeRun, conn))
            {
                take.Parameters.Add(new NpgsqlParameter { Value = run.RunId });
                AddProgress(take, new TrainingProgress(RunStage.Waiting, 1, $"Taken by a trainer; waiting for the {request.ModelName} training lock"));
                if (await take.ExecuteScalarAsync(ct) is long id)
                {
                    handedOver = true; // the runner holds the lease until the run ends
                    return new RunClaim(true, id, RunStatus.Running, null, null) { Lease = lease };
                }
            }
            return await ReadClaimAsync(conn, request.RequestId, ct); // it finished in between
        }
        finally
        {
            if (!handedOver)
            {
                await (lease ?? (IAsyncDisposable)conn).DisposeAsync(); // a lease unlocks, then closes its connection
            }
        }
    }

    private static async Task<bool> TryLeaseAsync(NpgsqlConnection conn, long runId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(TryLease, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        return await cmd.ExecuteScalarAsync(ct) is true;
    }

    private static async Task<RunClaim> ReadClaimAsync(NpgsqlConnection conn, string requestId, CancellationToken ct)
    {
        await using var existing = new NpgsqlCommand(ExistingRun, conn);
        existing.Parameters.Add(new NpgsqlParameter { Value = requestId });
        await using var r = await existing.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return new RunClaim(false, r.GetInt64(0), RegistryText.RunStatusOf(r.GetString(1)), r.IsDBNull(2) ? null : r.GetInt64(2), r.IsDBNull(3) ? null : r.GetString(3));
    }

    public async Task SetProgressAsync(long runId, TrainingProgress progress, CancellationToken ct)
    {
        await using var cmd = replica.CreateCommand($"""
            UPDATE ml.training_runs SET stage = $2, percent = $3, message = $4, stages = {TrainingRunRows.StagesAfterChange}, updated_at = now()
            WHERE id = $1 AND status = 'running'
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        AddProgress(cmd, progress);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>$2 stage, $3 percent, $4 message (the parameters <see cref="TrainingRunRows.StagesAfterChange"/> reads).</summary>
    private static void AddProgress(NpgsqlCommand cmd, TrainingProgress progress)
    {
        cmd.Parameters.Add(new NpgsqlParameter { Value = progress.Stage.ToText() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Math.Clamp(progress.Percent, 0, 100) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = progress.Message ?? "" });
    }

    public async Task<IAsyncDisposable> AcquireTrainingLockAsync(string modelName, CancellationToken ct)
    {
        // A session-level advisory lock on a connection held for the whole training: other trainers
        // (threads or processes) wait for it. Closing the connection releases it even after a crash.
        var conn = await replica.OpenConnectionAsync(ct);
        try
        {
            await using var cmd = new NpgsqlCommand("SELECT pg_advisory_lock(hashtext('ml.train:' || $1))", conn);
            cmd.Parameters.Add(new NpgsqlParameter { Value = modelName });
            cmd.CommandTimeout = 0;
            await cmd.ExecuteNonQueryAsync(ct);
            return new AdvisoryLock(conn, "SELECT pg_advisory_unlock(hashtext('ml.train:' || $1))", modelName);
        }
        catch
        {
            await conn.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A session advisory lock held on its own connection: unlocked explicitly before the connection goes back to
    /// the pool (a pooled connection keeps its session, and its locks, until it is reused).
    /// </summary>
    private sealed class AdvisoryLock(NpgsqlConnection conn, string unlockSql, object key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var cmd = new NpgsqlCommand(unlockSql, conn);
                cmd.Parameters.Add(new NpgsqlParameter { Value = key });
                await cmd.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException) when (conn.FullState != System.Data.ConnectionState.Open)
            {
                // The session is gone (the replica restarted, or the backend was terminated), and its locks with it:
                // nothing to unlock, and the run's own outcome must not be replaced by this.
            }
            finally
            {
                await conn.DisposeAsync();
            }
        }
    }

    private const string InsertVersion = """
        INSERT INTO ml.model_versions (model_name, version, algorithm, hyperparameters, metrics, baseline_metrics, feature_schema,
            training_stats, calibration, training_rows, data_from, data_to, duration_seconds, artifact, status, failure_reason, request_id)
        SELECT $1, coalesce(max(version), 0) + 1, $2, $3::jsonb, $4::jsonb, $5::jsonb, $6::jsonb, $7::jsonb, $8::jsonb, $9, $10, $11, $12, $13, $14, $15, $16
        FROM ml.model_versions WHERE model_name = $1
        RETURNING id
        """;

    public Task<RegisteredModel> RegisterVersionAsync(TrainedModel m, string requestId, CancellationToken ct) =>
        InsertVersionAsync(m.Set.ModelName, m.Algorithm, m.Hyperparameters, MlJson.Serialize(m.Metrics), MlJson.Serialize(m.BaselineMetrics),
            m.FeatureSchemaJson, MlJson.Serialize(m.Statistics), MlJson.Serialize(m.Calibration), m.TotalRows, m.DataFrom, m.DataTo,
            m.Duration.TotalSeconds, m.Artifact, VersionStatus.Trained, null, requestId, ct);

    public Task<RegisteredModel> RegisterFailedVersionAsync(string modelName, Hyperparameters h, string reason, string requestId, CancellationToken ct) =>
        InsertVersionAsync(modelName, h.Algorithm, h, "{}", "{}", "[]", "{}", "{}", 0, null, null, null, null, VersionStatus.Failed, reason, requestId, ct);

    private async Task<RegisteredModel> InsertVersionAsync(string model, string algorithm, Hyperparameters h, string metrics, string baseline,
        string schema, string stats, string calibration, long rows, DateTime? from, DateTime? to, double? seconds, byte[]? artifact,
        VersionStatus status, string? reason, string requestId, CancellationToken ct)
    {
        await using var conn = await replica.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // Version numbers per model are assigned under a lock so concurrent registrations cannot collide.
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('ml.version:' || $1))", conn, tx))
        {
            lockCmd.Parameters.Add(new NpgsqlParameter { Value = model });
            await lockCmd.ExecuteNonQueryAsync(ct);
        }
        long id;
        await using (var cmd = new NpgsqlCommand(InsertVersion, conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = model });
            cmd.Parameters.Add(new NpgsqlParameter { Value = algorithm });
            cmd.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(h.ToDictionary()) });
            cmd.Parameters.Add(new NpgsqlParameter { Value = metrics });
            cmd.Parameters.Add(new NpgsqlParameter { Value = baseline });
            cmd.Parameters.Add(new NpgsqlParameter { Value = schema });
            cmd.Parameters.Add(new NpgsqlParameter { Value = stats });
            cmd.Parameters.Add(new NpgsqlParameter { Value = calibration });
            cmd.Parameters.Add(new NpgsqlParameter { Value = rows });
            cmd.Parameters.Add(new NpgsqlParameter { Value = from.HasValue ? DateTime.SpecifyKind(from.Value, DateTimeKind.Utc) : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            cmd.Parameters.Add(new NpgsqlParameter { Value = to.HasValue ? DateTime.SpecifyKind(to.Value, DateTimeKind.Utc) : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            cmd.Parameters.Add(new NpgsqlParameter { Value = seconds.HasValue ? seconds.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            cmd.Parameters.Add(new NpgsqlParameter { Value = artifact is null ? DBNull.Value : artifact, NpgsqlDbType = NpgsqlDbType.Bytea });
            cmd.Parameters.Add(new NpgsqlParameter { Value = status.ToText() });
            cmd.Parameters.Add(new NpgsqlParameter { Value = reason is null ? DBNull.Value : reason, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = requestId });
            id = (long)(await cmd.ExecuteScalarAsync(ct))!;
        }
        await tx.CommitAsync(ct);
        return (await reader.GetVersionAsync(id, withArtifact: false, ct))!;
    }

    public async Task CompleteRunAsync(long runId, long versionId, DeployDecision deploy, CancellationToken ct)
    {
        await using var cmd = replica.CreateCommand($"""
            UPDATE ml.training_runs SET status = 'succeeded', stage = $2, percent = $3, message = $4, stages = {TrainingRunRows.StagesAfterChange},
                version_id = $5, finished_at = now(), updated_at = now(), deployed = $6, deploy_reason = $7
            WHERE id = $1
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        AddProgress(cmd, new TrainingProgress(RunStage.Done, 100, deploy.Reason));
        cmd.Parameters.Add(new NpgsqlParameter { Value = versionId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = deploy.Deployed });
        cmd.Parameters.Add(new NpgsqlParameter { Value = deploy.Reason });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task FailRunAsync(long runId, long? versionId, string reason, CancellationToken ct)
    {
        await using var cmd = replica.CreateCommand($"""
            UPDATE ml.training_runs SET status = 'failed', stage = $2, percent = $3, message = $4, stages = {TrainingRunRows.StagesAfterChange},
                version_id = $5, failure_reason = $6, finished_at = now(), updated_at = now()
            WHERE id = $1
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        AddProgress(cmd, new TrainingProgress(RunStage.Failed, 100, reason));
        cmd.Parameters.Add(new NpgsqlParameter { Value = versionId.HasValue ? versionId.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = reason });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task ReleaseRunAsync(long runId, string reason, CancellationToken ct)
    {
        await using var cmd = replica.CreateCommand($"""
            UPDATE ml.training_runs SET status = 'queued', stage = $2, percent = $3, message = $4, stages = {TrainingRunRows.StagesAfterChange},
                failure_reason = $5, updated_at = now()
            WHERE id = $1 AND status = 'running'
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = runId });
        AddProgress(cmd, new TrainingProgress(RunStage.Interrupted, 0, "Interrupted; back in the queue for another delivery: " + reason));
        cmd.Parameters.Add(new NpgsqlParameter { Value = reason });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task RefreshSummaryAsync(CancellationToken ct)
    {
        await using var cmd = replica.CreateCommand("SELECT ml.refresh_training_data_summary()");
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<DeployDecision> DeployAsync(string modelName, long versionId, DeployStrategy strategy, string reason, CancellationToken ct)
    {
        await using var conn = await replica.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('ml.deploy:' || $1))", conn, tx))
        {
            lockCmd.Parameters.Add(new NpgsqlParameter { Value = modelName });
            await lockCmd.ExecuteNonQueryAsync(ct);
        }
        long? previous = null;
        await using (var retire = new NpgsqlCommand(
            "UPDATE ml.model_versions SET status = 'retired' WHERE model_name = $1 AND status = 'deployed' AND id <> $2 RETURNING id", conn, tx))
        {
            retire.Parameters.Add(new NpgsqlParameter { Value = modelName });
            retire.Parameters.Add(new NpgsqlParameter { Value = versionId });
            previous = await retire.ExecuteScalarAsync(ct) as long?;
        }
        int version;
        await using (var deploy = new NpgsqlCommand(
            "UPDATE ml.model_versions SET status = 'deployed' WHERE id = $1 AND model_name = $2 AND status <> 'failed' RETURNING version", conn, tx))
        {
            deploy.Parameters.Add(new NpgsqlParameter { Value = versionId });
            deploy.Parameters.Add(new NpgsqlParameter { Value = modelName });
            version = await deploy.ExecuteScalarAsync(ct) as int?
                ?? throw new DeployRejectedException($"Version id {versionId} of '{modelName}' does not exist or failed to train.", notFound: true);
        }
        DateTimeOffset at;
        await using (var record = new NpgsqlCommand("""
            INSERT INTO ml.model_deployments (model_name, version_id, previous_version_id, strategy, reason)
            VALUES ($1, $2, $3, $4, $5) RETURNING deployed_at
            """, conn, tx))
        {
            record.Parameters.Add(new NpgsqlParameter { Value = modelName });
            record.Parameters.Add(new NpgsqlParameter { Value = versionId });
            record.Parameters.Add(new NpgsqlParameter { Value = previous.HasValue ? previous.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            record.Parameters.Add(new NpgsqlParameter { Value = strategy.ToText() });
            record.Parameters.Add(new NpgsqlParameter { Value = reason });
            at = new DateTimeOffset(DateTime.SpecifyKind((DateTime)(await record.ExecuteScalarAsync(ct))!, DateTimeKind.Utc));
        }
        await tx.CommitAsync(ct);
        return new DeployDecision(true, strategy, reason, versionId, version, previous, at);
    }

    public async Task<(long VersionId, long? PreviousVersionId)?> LatestDeploymentAsync(string modelName, CancellationToken ct)
    {
        await using var cmd = replica.CreateCommand(
            "SELECT version_id, previous_version_id FROM ml.model_deployments WHERE model_name = $1 ORDER BY deployed_at DESC, id DESC LIMIT 1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = modelName });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return (r.GetInt64(0), r.IsDBNull(1) ? null : r.GetInt64(1));
    }
}
