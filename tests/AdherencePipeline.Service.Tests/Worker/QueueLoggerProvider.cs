using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AdherencePipeline.Service.Tests.Worker;

/// <summary>Collects every log line (level, category, message and any exception) of a host from <paramref name="minimumLevel"/> on.</summary>
internal sealed class QueueLoggerProvider(ConcurrentQueue<string> lines, LogLevel minimumLevel = LogLevel.Trace) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new QueueLogger(categoryName, lines, minimumLevel);

    public void Dispose()
    {
    }

    private sealed class QueueLogger(string category, ConcurrentQueue<string> lines, LogLevel minimumLevel) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimumLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.GetType().Name + ": " + exception.Message)}");
            }
        }
    }
}
