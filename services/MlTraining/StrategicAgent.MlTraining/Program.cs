using StrategicAgent.MlTraining.Cli;
using StrategicAgent.MlTraining.Extensions;

// Command-line tools (eval-storypoints, import-storypoints) run and exit; otherwise the service starts.
if (await CommandLine.TryRunAsync(args) is { } exitCode)
{
    return exitCode;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGrpcDefaults();
builder.UseServiceEndpoints();
builder.AddApplicationServices();

var app = builder.Build();
app.MapApplication();
app.Run();
return 0;
