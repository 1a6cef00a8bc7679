using Microsoft.Extensions.Options;
using StrategicAgent.Migrator;

// The data CLI: `create-api-key ...` creates one key and exits (docs/api.md, "API keys").
if (args.Length > 0 && args[0] == ApiKeyCommand.Name)
{
    return await ApiKeyCommand.RunAsync(args[1..], Console.Out, Console.Error, CancellationToken.None);
}

// Runs to completion: exit 0 when the databases are ready, 1 with a message saying what to fix.
var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddOptions<MigratorOptions>()
    .BindConfiguration("Migrator")
    .Configure<IConfiguration>((o, config) =>
    {
        o.PrimaryConnectionString ??= config.GetConnectionString("primary");
        o.ReplicaConnectionString ??= config.GetConnectionString("replica");
        o.ReaderConnectionString ??= config.GetConnectionString(StrategicAgent.Data.LoginRole.Reader.ConnectionName);
        o.AgentConnectionString ??= config.GetConnectionString(StrategicAgent.Data.LoginRole.Agent.ConnectionName);
        o.GatewayConnectionString ??= config.GetConnectionString(StrategicAgent.Data.LoginRole.Gateway.ConnectionName);
        o.MlConnectionString ??= config.GetConnectionString(StrategicAgent.Data.LoginRole.Ml.ConnectionName);
        o.MessagingConnectionString ??= config.GetConnectionString("messaging");
        config.GetSection("Replication").Bind(o.Replication);
        config.GetSection("DemoData").Bind(o.DemoData);
        config.GetSection("RunInfo").Bind(o.RunInfo);
    })
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddSingleton(sp => new MigrationRunner(
    sp.GetRequiredService<IOptions<MigratorOptions>>().Value, sp.GetRequiredService<ILogger<MigrationRunner>>()));

var runInfoPath = builder.Configuration["RunInfo:Path"];
using var host = builder.Build();
var logger = host.Services.GetRequiredService<ILogger<Program>>();
var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
try
{
    await host.StartAsync(lifetime.ApplicationStopping);
    await host.Services.GetRequiredService<MigrationRunner>().RunAsync(lifetime.ApplicationStopping);
    return 0;
}
catch (OptionsValidationException ex)
{
    logger.LogCritical("Migrator configuration is invalid: {Failures}", string.Join(" ", ex.Failures));
    await ReportFailureAsync("invalid configuration: " + string.Join(" ", ex.Failures));
    return 2;
}
catch (MigrationException ex)
{
    logger.LogCritical(ex, "Migrator failed: {Reason}", ex.Message);
    await ReportFailureAsync(ex.Message);
    return 1;
}
catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
{
    logger.LogWarning("Migrator stopped before it finished");
    return 3;
}
finally
{
    // Flushes telemetry to the dashboard.
    await host.StopAsync(CancellationToken.None);
}

async Task ReportFailureAsync(string message)
{
    if (!string.IsNullOrWhiteSpace(runInfoPath))
    {
        await RunInfoFile.WriteFailureAsync(runInfoPath, message, CancellationToken.None);
    }
}
