using StrategicAgent.Bench;

// bench <subcommand> [options]: each area adds its own subcommand here.
var commands = new Dictionary<string, Func<string[], CancellationToken, Task<int>>>(StringComparer.OrdinalIgnoreCase)
{
    ["data"] = DataBench.RunAsync,
    ["training"] = TrainingBench.RunAsync,
    ["agent"] = AgentBench.RunAsync,
    ["agent-eval"] = AgentEvalBench.RunAsync,
    ["agent-cpu"] = AgentCpuBench.RunAsync,
    ["validation"] = ValidationBench.RunAsync,
    ["prediction"] = PredictionBench.RunAsync,
    ["forecast"] = ForecastBench.RunAsync,
};

if (args.Length == 0 || !commands.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: bench <{string.Join('|', commands.Keys)}> [options]   (bench <command> --help for its options)");
    return args.Length == 0 ? 2 : 64;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
return await run(args[1..], cts.Token);
