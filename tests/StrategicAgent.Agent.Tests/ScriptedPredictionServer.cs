using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StrategicAgent.Protos.Prediction.V1;
using ModelName = StrategicAgent.Protos.Ml.V1.ModelName;

namespace StrategicAgent.Agent.Tests;

/// <summary>
/// A prediction service on a real gRPC socket whose answers the test chooses (forecasts per epic key,
/// PR risks, estimates, alerts) and which records every request, so a routed question can be checked
/// end to end: which call the agent made, with which keys, and what it did with the answer. The
/// real prediction service's own answers are tested in StrategicAgent.Prediction.Tests.
/// </summary>
public sealed class ScriptedPredictionServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ScriptedPredictionServer(WebApplication app, Script script)
    {
        _app = app;
        Answers = script;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Channel = GrpcChannel.ForAddress(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
        Client = new PredictionService.PredictionServiceClient(Channel);
    }

    public Script Answers { get; }
    public GrpcChannel Channel { get; }
    public PredictionService.PredictionServiceClient Client { get; }

    public static async Task<ScriptedPredictionServer> StartAsync(Script script)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(script);
        var app = builder.Build();
        app.MapGrpcService<Service>();
        await app.StartAsync();
        return new ScriptedPredictionServer(app, script);
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public static Timestamp At(DateOnly d) => Timestamp.FromDateTime(d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));

    /// <summary>What the service answers; every request is kept in <see cref="Requests"/>.</summary>
    public sealed class Script
    {
        public ConcurrentQueue<object> Requests { get; } = new();

        /// <summary>Predicted lead time (days) and started-at per epic key; null = not found.</summary>
        public Func<string, (double LeadTimeDays, DateOnly Started)?> Forecast { get; init; } = _ => null;

        /// <summary>Epics <c>ForecastEpics</c> refuses (all or nothing, as the service does), with the status and detail.</summary>
        public Dictionary<string, (StatusCode Status, string Detail)> ForecastFailures { get; init; } = [];

        /// <summary>The probability of done by the request's <c>by</c> that every forecast carries.</summary>
        public double ProbabilityBy { get; init; } = 0.63;

        /// <summary>How many ForecastEpics calls answer "still loading" (Unavailable with a retry-after trailer of 1 s) first.</summary>
        public int LoadingCalls;

        /// <summary>Fails every call with this status (a service that is down).</summary>
        public StatusCode? Down { get; init; }

        public Func<string, ReworkPrediction?> Rework { get; init; } = _ => null;

        public double NewIssuePoints { get; init; } = 5;

        public List<Alert> Alerts { get; init; } = [];
    }

    private sealed class Service(Script script) : PredictionService.PredictionServiceBase
    {
        private static ModelRef Ref(ModelName name) => new() { Name = name, Version = 1, PredictedAt = Timestamp.FromDateTime(DateTime.UtcNow) };

        public override Task<TrajectoryResponse> PredictTrajectory(TrajectoryRequest request, ServerCallContext context)
        {
            script.Requests.Enqueue(request);
            if (request.EpicKeys.Count > 50)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"epic_keys: {request.EpicKeys.Count} keys given, at most 50 per request: split the request."));
            }
            var r = new TrajectoryResponse { Model = Ref(ModelName.Trajectory) };
            foreach (var key in request.EpicKeys)
            {
                if (script.Forecast(key) is not { } f)
                {
                    r.Predictions.Add(new TrajectoryPrediction { Key = key, Found = false, Message = $"epic '{key}' not found" });
                    continue;
                }
                var median = f.Started.AddDays((int)Math.Round(f.LeadTimeDays));
                var now = DateOnly.FromDateTime(AgentFixture.Now.UtcDateTime);
                r.Predictions.Add(new TrajectoryPrediction
                {
                    Key = key, Found = true, Summary = "epic " + key, StartedAt = At(f.Started),
                    CurrentLeadTimeDays = now.DayNumber - f.Started.DayNumber,
                    PredictedLeadTimeDays = f.LeadTimeDays, LeadTimeLowDays = f.LeadTimeDays * 0.8, LeadTimeHighDays = f.LeadTimeDays * 1.25,
                    PredictedCompletion = At(median), CompletionLow = At(f.Started.AddDays((int)(f.LeadTimeDays * 0.8))),
                    CompletionHigh = At(f.Started.AddDays((int)(f.LeadTimeDays * 1.25))), IntervalLevel = 0.8, Confidence = 0.7,
                    Overdue = median < now,
                });
            }
            return Task.FromResult(r);
        }

        /// <summary>
        /// P50 = started + lead time, P80 = started + 1.25 × it, P95 = started + 1.5 × it (never before now); all or
        /// nothing like the real service: an unknown key is NotFound, a scripted failure fails the whole request.
        /// </summary>
        public override Task<ForecastResponse> ForecastEpics(ForecastRequest request, ServerCallContext context)
        {
            script.Requests.Enqueue(request);
            if (script.Down is { } down)
            {
                throw new RpcException(new Status(down, "scripted outage"));
            }
            if (Interlocked.Decrement(ref script.LoadingCalls) >= 0)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "The work features of this tenant are being loaded; retry in 1 s."), new Metadata { { "retry-after", "1" } });
            }
            var now = AgentFixture.Now.UtcDateTime;
            if (request.By is { } by && by.ToDateTime() < now)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "by: that date is in the past"));
            }
            var r = new ForecastResponse { Draws = 10_000, Seed = 20251205, AsOf = Timestamp.FromDateTime(now), TrajectoryModel = Ref(ModelName.Trajectory) };
            foreach (var key in request.EpicKeys)
            {
                if (script.ForecastFailures.TryGetValue(key, out var failure))
                {
                    throw new RpcException(new Status(failure.Status, failure.Detail));
                }
                if (script.Forecast(key) is not { } f)
                {
                    throw new RpcException(new Status(StatusCode.NotFound, $"epic '{key}' not found."));
                }
                var started = f.Started.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
                DateTime At(double factor) => new[] { started.AddDays(f.LeadTimeDays * factor), now }.Max();
                var e = new EpicCompletionForecast
                {
                    Key = key, Method = ForecastMethod.Blend, MonteCarloWeight = 0.5, StartedAt = Timestamp.FromDateTime(started),
                    P50 = Timestamp.FromDateTime(At(1)), P80 = Timestamp.FromDateTime(At(1.25)), P95 = Timestamp.FromDateTime(At(1.5)),
                    RemainingChildren = 4, RemainingPoints = 13, EstimatedChildren = 1, EstimatedPoints = 3, DoneChildren = 2, Progress = 0.4,
                    ThroughputWeeks = 12, MeanWeeklyPoints = 2.5, ActiveEpics = 2,
                };
                if (request.By is not null)
                {
                    e.ProbabilityBy = script.ProbabilityBy;
                }
                r.Forecasts.Add(e);
            }
            return Task.FromResult(r);
        }

        public override Task<ReworkResponse> AssessReworkRisk(ReworkRequest request, ServerCallContext context)
        {
            script.Requests.Enqueue(request);
            var r = new ReworkResponse { Model = Ref(ModelName.Rework), HighThreshold = 0.7, MediumThreshold = 0.4 };
            foreach (var key in request.PullRequests)
            {
                r.Predictions.Add(script.Rework(key) ?? new ReworkPrediction { Key = key, Found = false, Message = $"pull request '{key}' not found" });
            }
            return Task.FromResult(r);
        }

        public override Task<ComplexityResponse> EstimateComplexity(ComplexityRequest request, ServerCallContext context)
        {
            script.Requests.Enqueue(request);
            var r = new ComplexityResponse { Model = Ref(ModelName.Complexity) };
            r.Predictions.Add(request.NewIssues.Select((_, i) => new ComplexityPrediction
            {
                Key = $"new:{i}", Found = true, StoryPoints = script.NewIssuePoints, Low = script.NewIssuePoints - 2, High = script.NewIssuePoints + 3,
                IntervalLevel = 0.8, Fibonacci = 5, Confidence = 0.6,
            }));
            return Task.FromResult(r);
        }

        public override Task<ListAlertsResponse> ListAlerts(ListAlertsRequest request, ServerCallContext context)
        {
            script.Requests.Enqueue(request);
            var r = new ListAlertsResponse();
            r.Alerts.Add(script.Alerts.Where(a => !request.HasAcknowledged || a.Acknowledged == request.Acknowledged).Take(request.Limit));
            return Task.FromResult(r);
        }
    }
}
