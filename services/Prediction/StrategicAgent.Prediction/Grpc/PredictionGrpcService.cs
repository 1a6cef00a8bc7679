using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using StrategicAgent.ServiceDefaults.Auth;
using Npgsql;
using StrategicAgent.Prediction.Data;
using StrategicAgent.Prediction.Domain;
using StrategicAgent.Protos;
using StrategicAgent.Protos.Prediction.V1;
using ProtoModelName = StrategicAgent.Protos.Ml.V1.ModelName;
using ProtoRiskLevel = StrategicAgent.Protos.Prediction.V1.RiskLevel;

namespace StrategicAgent.Prediction.Grpc;

/// <summary>Thin gRPC layer: map messages, call the domain, translate failures into statuses a caller can act on.</summary>
public sealed partial class PredictionGrpcService(
    PredictionServing predictions,
    EpicForecasts forecasts,
    AlertStore alerts,
    ModelHealthService health,
    ILogger<PredictionGrpcService> logger) : PredictionService.PredictionServiceBase
{
    /// <summary>Trailer with the server's time split (features, model, total), read by the benchmark.</summary>
    public const string TimingTrailer = "x-server-timing";

    /// <summary>
    /// Trailer of an Unavailable the service answers on purpose (a tenant's features still loading): whole seconds
    /// after which a retry should succeed. The gateway turns it into <c>Retry-After</c> and passes the message on.
    /// </summary>
    public const string RetryAfterTrailer = "retry-after";

    public override Task<TrajectoryResponse> PredictTrajectory(TrajectoryRequest request, ServerCallContext context) =>
        Run(context, async () =>
        {
            var batch = await predictions.TrajectoryAsync(context.GetCaller().ClientId, request.EpicKeys, context.CancellationToken);
            AddTiming(context, batch.Timings);
            var response = new TrajectoryResponse { Model = Map(batch.Model) };
            response.Predictions.AddRange(batch.Items.Select(r => new TrajectoryPrediction
            {
                Key = r.Key,
                Found = r.Found,
                Message = r.Message ?? "",
                Summary = r.Summary ?? "",
                CurrentLeadTimeDays = r.CurrentLeadTimeDays,
                PredictedLeadTimeDays = r.PredictedLeadTimeDays,
                LeadTimeLowDays = r.LowDays,
                LeadTimeHighDays = r.HighDays,
                StartedAt = Ts(r.StartedAt),
                PredictedCompletion = Ts(r.PredictedCompletion),
                CompletionLow = Ts(r.CompletionLow),
                CompletionHigh = Ts(r.CompletionHigh),
                IntervalLevel = r.IntervalLevel,
                Confidence = r.Confidence,
                Done = r.Done,
                Overdue = r.Overdue,
            }));
            return response;
        });

    public override Task<ComplexityResponse> EstimateComplexity(ComplexityRequest request, ServerCallContext context) =>
        Run(context, async () =>
        {
            var fresh = request.NewIssues
                .Select(n => new NewIssueInput(n.Summary, n.Description, n.IssueType, n.ProjectKey, n.Priority))
                .ToList();
            var batch = await predictions.ComplexityAsync(context.GetCaller().ClientId, request.IssueKeys, fresh, context.CancellationToken);
            AddTiming(context, batch.Timings);
            var response = new ComplexityResponse { Model = Map(batch.Model) };
            response.Predictions.AddRange(batch.Items.Select(r => new ComplexityPrediction
            {
                Key = r.Key,
                Found = r.Found,
                Message = r.Message ?? "",
                StoryPoints = r.StoryPoints,
                Low = r.Low,
                High = r.High,
                IntervalLevel = r.IntervalLevel,
                Fibonacci = r.Fibonacci,
                Confidence = r.Confidence,
                HasActual = r.ActualStoryPoints.HasValue,
                ActualStoryPoints = r.ActualStoryPoints ?? 0,
            }));
            return response;
        });

    public override Task<ReworkResponse> AssessReworkRisk(ReworkRequest request, ServerCallContext context) =>
        Run(context, async () =>
        {
            var batch = await predictions.ReworkAsync(context.GetCaller().ClientId, request.PullRequests, request.Repository, request.Limit, context.CancellationToken);
            AddTiming(context, batch.Timings);
            var response = new ReworkResponse
            {
                Model = Map(batch.Model),
                HighThreshold = predictions.ReworkHighThreshold,
                MediumThreshold = predictions.ReworkMediumThreshold,
            };
            response.Predictions.AddRange(batch.Items.Select(r =>
            {
                var p = new ReworkPrediction
                {
                    Key = r.Key,
                    Found = r.Found,
                    Message = r.Message ?? "",
                    Probability = r.Probability,
                    RiskLevel = Map(r.RiskLevel),
                    Repository = r.Repository ?? "",
                    Number = r.Number,
                    Title = r.Title ?? "",
                    Status = r.Status ?? "",
                };
                p.TopFeatures.AddRange(r.TopFeatures.Select(c => new FeatureContribution { Feature = c.Feature, Value = c.Value, Contribution = c.Delta }));
                return p;
            }));
            return response;
        });

    public override Task<UnifiedResponse> PredictUnified(UnifiedRequest request, ServerCallContext context) =>
        Run(context, async () =>
        {
            var batch = await predictions.UnifiedAsync(context.GetCaller().ClientId, request.IssueKeys, context.CancellationToken);
            AddTiming(context, batch.Timings);
            var response = new UnifiedResponse { Model = Map(batch.Model) };
            response.Predictions.AddRange(batch.Items.Select(r => new UnifiedPrediction
            {
                Key = r.Key,
                Found = r.Found,
                Message = r.Message ?? "",
                LeadTimeDays = r.LeadTimeDays,
                LeadTimeLowDays = r.LeadTimeLowDays,
                LeadTimeHighDays = r.LeadTimeHighDays,
                StoryPoints = r.StoryPoints,
                StoryPointsLow = r.StoryPointsLow,
                StoryPointsHigh = r.StoryPointsHigh,
                IntervalLevel = r.IntervalLevel,
                ReworkProbability = r.ReworkProbability,
                ReworkRiskLevel = Map(r.ReworkRiskLevel),
            }));
            return response;
        });

    public override Task<ForecastResponse> ForecastEpics(ForecastRequest request, ServerCallContext context) =>
        Run(context, async () =>
        {
            var input = new ForecastRequestInput(request.EpicKeys,
                request.By is { } by ? RequestValidation.Instant("by", by.Seconds, by.Nanos) : null, request.Draws, request.HasSeed ? request.Seed : null);
            var batch = await forecasts.ForecastAsync(context.GetCaller().ClientId, input, context.CancellationToken);
            AddTiming(context, batch.Timings);
            var response = new ForecastResponse { Draws = batch.Draws, Seed = batch.Seed, AsOf = Timestamp.FromDateTimeOffset(batch.AsOf) };
            if (batch.Trajectory is { } t)
            {
                response.TrajectoryModel = Map(t);
            }
            if (batch.Complexity is { } c)
            {
                response.ComplexityModel = Map(c);
            }
            response.Forecasts.AddRange(batch.Items.Select(r =>
            {
                var f = r.Forecast;
                var weeks = f.State.WeeklyPointsPerEpic;
                var e = new EpicCompletionForecast
                {
                    Key = r.Key,
                    Method = f.Method switch
                    {
                        Ml.Forecasting.ForecastMethod.Blend => ForecastMethod.Blend,
                        Ml.Forecasting.ForecastMethod.MonteCarlo => ForecastMethod.MonteCarlo,
                        _ => ForecastMethod.Trajectory,
                    },
                    P50 = Timestamp.FromDateTimeOffset(r.P50),
                    P80 = Timestamp.FromDateTimeOffset(r.P80),
                    P95 = Timestamp.FromDateTimeOffset(r.P95),
                    MonteCarloWeight = f.MonteCarloWeight,
                    RemainingChildren = f.State.Remaining.Count,
                    RemainingPoints = Math.Round(f.RemainingPoints, 1),
                    EstimatedChildren = f.EstimatedChildren,
                    EstimatedPoints = Math.Round(f.EstimatedPoints, 1),
                    DoneChildren = f.State.DoneChildren,
                    Progress = Math.Round(f.Progress, 3),
                    ThroughputWeeks = weeks.Count,
                    MeanWeeklyPoints = weeks.Count > 0 ? Math.Round(weeks.Average(), 2) : 0,
                    ActiveEpics = f.State.ActiveEpics,
                    StartedAt = Timestamp.FromDateTime(DateTime.SpecifyKind(f.State.StartedAt, DateTimeKind.Utc)),
                };
                if (r.ProbabilityBy is { } p)
                {
                    e.ProbabilityBy = Math.Round(p, 4);
                }
                if (r.Trajectory is { } prior)
                {
                    e.TrajectoryCompletion = Timestamp.FromDateTime(DateTime.SpecifyKind(f.State.StartedAt, DateTimeKind.Utc).AddDays(prior.PredictedLeadDays));
                }
                return e;
            }));
            return response;
        });

    public override Task<ListAlertsResponse> ListAlerts(ListAlertsRequest request, ServerCallContext context) =>
        Run(context, async () =>
        {
            AlertSeverity? severity = request.Severity == Severity.Unspecified ? null
                : System.Enum.IsDefined(request.Severity) ? (AlertSeverity)(int)request.Severity
                : throw new InvalidRequestException("severity", $"severity = {(int)request.Severity}: use one of {string.Join(", ", WireNames.All<Severity>())} (or leave it unspecified for any).");
            if (request.Limit is < 0 or > 500)
            {
                throw new InvalidRequestException("limit", $"limit = {request.Limit}: between 1 and 500 (0 = default 50).");
            }
            var model = request.ModelName == ProtoModelName.Unspecified ? null
                : System.Enum.IsDefined(request.ModelName) ? request.ModelName.ToWire()
                : throw new InvalidRequestException("model_name", $"model_name = {(int)request.ModelName}: use one of {string.Join(", ", WireNames.All<ProtoModelName>())} (or leave it unspecified for any).");
            var list = await alerts.ListAsync(context.GetCaller().ClientId, severity, request.HasAcknowledged ? request.Acknowledged : null,
                model, request.Limit == 0 ? 50 : request.Limit, context.CancellationToken);
            var response = new ListAlertsResponse();
            response.Alerts.AddRange(list.Select(Map));
            return response;
        });

    public override Task<Alert> AcknowledgeAlert(AcknowledgeAlertRequest request, ServerCallContext context) =>
        Run(context, async () =>
        {
            if (request.Id <= 0)
            {
                throw new InvalidRequestException("id", "id must be a positive alert id (see ListAlerts).");
            }
            var by = RequestValidation.Required("acknowledged_by", request.AcknowledgedBy, 200);
            var alert = await alerts.AcknowledgeAsync(context.GetCaller().ClientId, request.Id, by, context.CancellationToken)
                ?? throw new RpcException(new Status(StatusCode.NotFound, $"alert {request.Id} not found"));
            return Map(alert);
        });

    public override Task<ModelHealthResponse> GetModelHealth(ModelHealthRequest request, ServerCallContext context) =>
        Run(context, async () =>
        {
            var report = await health.CheckAsync(context.CancellationToken);
            var response = new ModelHealthResponse
            {
                Status = report.Status,
                ReplicaLagMs = report.ReplicaLagMs ?? -1,
                CheckedAt = Timestamp.FromDateTimeOffset(report.CheckedAt),
                PredictionLogDropped = report.LogDropped,
                PredictionLogPending = report.LogPending,
            };
            foreach (var m in report.Models)
            {
                var h = new ModelHealth
                {
                    ModelName = Map(m.ModelName),
                    DeployedVersion = m.DeployedVersion,
                    AgeDays = m.AgeDays,
                    SmokeOk = m.SmokeOk,
                    SmokeDetail = m.SmokeDetail,
                    LatencyP50Ms = m.Latency.P50,
                    LatencyP95Ms = m.Latency.P95,
                    LatencyP99Ms = m.Latency.P99,
                    LatencySamples = m.Latency.Samples,
                    Status = m.Status,
                    Message = m.Message,
                    DriftSampleRows = m.DriftSampleRows,
                    PsiThreshold = report.PsiThreshold,
                    DeployedAt = Ts(m.DeployedAt),
                };
                foreach (var (k, v) in m.Metrics)
                {
                    h.Metrics[k] = v;
                }
                h.Drift.AddRange(m.Drift.Select(d => new FeatureDrift { Feature = d.Feature, Psi = d.Psi, Flagged = d.Flagged }));
                response.Models.Add(h);
            }
            return response;
        });

    private async Task<T> Run<T>(ServerCallContext context, Func<Task<T>> work)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var status = "OK";
        try
        {
            return await Translate(context, work);
        }
        catch (RpcException ex)
        {
            status = ex.StatusCode.ToString();
            throw;
        }
        catch (Exception ex)
        {
            status = ex.GetType().Name;
            throw;
        }
        finally
        {
            // A call that took long says where its time went (the x-server-timing split when it got that far) and how
            // the thread pool stood: enough to tell a slow snapshot load from waiting for a forecast slot or for a thread.
            var ms = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (ms >= SlowCallMs)
            {
                LogSlowCall(logger, context.Method, ms, status, context.ResponseTrailers.GetValue(TimingTrailer) ?? "",
                    ThreadPool.PendingWorkItemCount, ThreadPool.ThreadCount);
            }
        }
    }

    /// <summary>Calls at least this long are logged with their time split (a warning).</summary>
    private const double SlowCallMs = 2_000;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slow call {Method}: {Ms:0} ms, status {Status}, server timing '{Timing}', thread pool {Queued} queued / {Threads} threads")]
    private static partial void LogSlowCall(ILogger logger, string method, double ms, string status, string timing, long queued, int threads);

    private async Task<T> Translate<T>(ServerCallContext context, Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (InvalidRequestException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message));
        }
        catch (ModelNotDeployedException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }
        catch (ModelsLoadingException ex)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, ex.Message));
        }
        catch (KeyNotFoundForTenantException ex)
        {
            throw new RpcException(new Status(StatusCode.NotFound, ex.Message));
        }
        catch (NotForecastableException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }
        catch (RetryLaterException ex)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, ex.Message),
                new Metadata { { RetryAfterTrailer, ((int)ex.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture) } });
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.QueryCanceled && !context.CancellationToken.IsCancellationRequested)
        {
            LogDatabaseFailure(logger, ex, context.Method);
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, "The feature read on the replica timed out; retry, or ask for fewer keys."));
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException && !context.CancellationToken.IsCancellationRequested)
        {
            LogDatabaseFailure(logger, ex, context.Method);
            throw new RpcException(new Status(StatusCode.Unavailable, "The replica database is unavailable; retry shortly."));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "The call was cancelled or its deadline passed."));
        }
    }

    private static void AddTiming(ServerCallContext context, ServingTimings t)
    {
        var timing = string.Create(CultureInfo.InvariantCulture, $"features={t.FeatureMs:0.###};model={t.ModelMs:0.###};total={t.TotalMs:0.###}");
        if (t.QueueMs > 0)
        {
            timing += string.Create(CultureInfo.InvariantCulture, $";queue={t.QueueMs:0.###}");
        }
        if (t.Computed is { } computed)
        {
            timing += string.Create(CultureInfo.InvariantCulture, $";computed={computed}");
        }
        context.ResponseTrailers.Add(TimingTrailer, timing);
    }

    private static ModelRef Map(ModelStamp m) => new()
    {
        Name = Map(m.Name),
        Version = m.Version,
        VersionId = m.VersionId,
        Algorithm = m.Algorithm,
        PredictedAt = Timestamp.FromDateTimeOffset(m.PredictedAt),
    };

    private static Alert Map(StoredAlert a)
    {
        var alert = new Alert
        {
            Id = a.Id,
            ModelName = Map(a.ModelName),
            Severity = (Severity)(int)a.Severity,
            Score = a.Score,
            AlertDataJson = a.AlertDataJson,
            RecommendedAction = a.RecommendedAction ?? "",
            Acknowledged = a.Acknowledged,
            AcknowledgedBy = a.AcknowledgedBy ?? "",
            CreatedAt = Timestamp.FromDateTimeOffset(a.CreatedAt),
        };
        if (a.AcknowledgedAt is { } at)
        {
            alert.AcknowledgedAt = Timestamp.FromDateTimeOffset(at);
        }
        return alert;
    }

    /// <summary>A registry model name as the contract's enum (unspecified for a name the contract does not know).</summary>
    private static ProtoModelName Map(string modelName) =>
        WireNames.TryParse<ProtoModelName>(modelName, out var m) ? m : ProtoModelName.Unspecified;

    private static ProtoRiskLevel Map(Domain.RiskLevel level) => (ProtoRiskLevel)(int)level;

    private static Timestamp? Ts(DateTimeOffset? t) => t is { } v ? Timestamp.FromDateTimeOffset(v) : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database failure in {Method}")]
    private static partial void LogDatabaseFailure(ILogger logger, Exception ex, string method);
}
