using StrategicAgent.MlTraining.Cli;
using StrategicAgent.MlTraining.Extensions;

// Command-line tools (eval-storypoints, import-storypoints) run and exit; otherwise the service starts.
if (await CommandLine.TryRunAsync(args) is { } exitCode)
{
    return exitCode;
}

// The host (Extensions.cs, BuildTrainingApp): defaults → data → messaging → auth → the service's own → endpoints.
WebApplication.CreateBuilder(args).BuildTrainingApp().Run();
return 0;
