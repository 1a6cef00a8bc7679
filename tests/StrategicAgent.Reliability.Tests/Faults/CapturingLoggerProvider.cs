using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace StrategicAgent.Reliability.Tests.Faults;

/// <summary>Keeps what the AppHost's restart watchdog logs, for the report.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(DateTime At, string Line)> _lines = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public IReadOnlyList<string> Since(DateTime at) => _lines.Where(l => l.At >= at).Select(l => l.Line).ToList();

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => category == "StrategicAgent.AppHost.CrashRestarter" && logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner._lines.Enqueue((DateTime.UtcNow, $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {formatter(state, exception)}"));
            }
        }
    }
}
