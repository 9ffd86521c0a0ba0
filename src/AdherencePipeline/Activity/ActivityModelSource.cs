using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdherencePipeline.Activity;

/// <summary>
/// The model the live pipeline classifies with, loaded from a file at start (a bad model stops the
/// start with a clear message) and swapped atomically when the file changes. A replacement that fails
/// to load is logged and ignored: the old model stays in use.
/// </summary>
public sealed partial class ActivityModelSource : IDisposable
{
    /// <summary>The model the worker loads unless configured otherwise, relative to the content root.</summary>
    public const string DefaultPath = "data/models/activity.zip";

    private readonly ILogger _logger;
    private readonly Lock _reloadLock = new();
    private FileSystemWatcher? _watcher;
    private ActivityModel _current;

    /// <summary>Loads the model at <paramref name="modelPath"/>; throws <see cref="ActivityModelException"/> when it is unusable.</summary>
    public ActivityModelSource(string modelPath, ILogger<ActivityModelSource>? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        ModelPath = Path.GetFullPath(modelPath);
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _current = ActivityModel.Load(ModelPath);
        LogLoaded(_logger, ModelPath, _current.Version, _current.Card.FeatureSchemaHash);
        LogEvaluator(_current);
    }

    /// <summary>Uses <paramref name="initial"/>, already loaded from <paramref name="modelPath"/> (and checked), as the current model.</summary>
    public ActivityModelSource(string modelPath, ActivityModel initial, ILogger<ActivityModelSource>? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        ArgumentNullException.ThrowIfNull(initial);
        ModelPath = Path.GetFullPath(modelPath);
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _current = initial;
        LogLoaded(_logger, ModelPath, _current.Version, _current.Card.FeatureSchemaHash);
    }

    /// <summary>The model file.</summary>
    public string ModelPath { get; }

    /// <summary>The model in use; read it once per window, it may be replaced at any time.</summary>
    public ActivityModel Current => Volatile.Read(ref _current);

    /// <summary>Raised after a new model has replaced the old one.</summary>
    public event EventHandler<ActivityModel>? Swapped;

    /// <summary>Starts watching the model file and its card; a change triggers <see cref="TryReload"/>.</summary>
    public void Watch()
    {
        if (_watcher is not null)
        {
            return;
        }

        var watcher = new FileSystemWatcher(Path.GetDirectoryName(ModelPath)!)
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size,
        };
        watcher.Changed += OnFileEvent;
        watcher.Created += OnFileEvent;
        watcher.Renamed += OnFileEvent;
        watcher.EnableRaisingEvents = true;
        _watcher = watcher;
    }

    /// <summary>
    /// Loads the model file again. On success the new model replaces the old one atomically and true
    /// is returned; on failure the old model stays, the reason is logged and returned in <paramref name="error"/>.
    /// </summary>
    public bool TryReload(out string? error)
    {
        lock (_reloadLock)
        {
            ActivityModel next;
            try
            {
                next = ActivityModel.Load(ModelPath);
            }
            catch (Exception ex) when (ex is ActivityModelException or IOException or UnauthorizedAccessException)
            {
                error = ex.Message;
                LogReloadFailed(_logger, ModelPath, Current.Version, ex.Message);
                return false;
            }

            error = null;
            if (next.Card.ModelSha256 == Current.Card.ModelSha256)
            {
                return true;
            }

            var old = Interlocked.Exchange(ref _current, next);
            LogSwapped(_logger, ModelPath, old.Version, next.Version);
            LogEvaluator(next);
            Swapped?.Invoke(this, next);
            return true;
        }
    }

    /// <summary>Stops watching.</summary>
    public void Dispose()
    {
        _watcher?.Dispose();
        _watcher = null;
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        var name = Path.GetFileName(e.FullPath);
        if (name == Path.GetFileName(ModelPath) || name == Path.GetFileName(ActivityModelCard.PathFor(ModelPath)))
        {
            TryReload(out _);
        }
    }

    private void LogEvaluator(ActivityModel model)
    {
        if (model.TreeEvaluatorUnavailableReason is { } reason)
        {
            LogTreesNotFlattened(_logger, ModelPath, model.Version, reason);
        }
        else
        {
            LogTreesFlattened(_logger, ModelPath, model.Version, model.Evaluator);
        }
    }

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Activity model {Path} version {Version} scores windows with its {Evaluator}")]
    private static partial void LogTreesFlattened(ILogger logger, string path, string version, string evaluator);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Activity model {Path} version {Version} scores every window through ML.NET (slower): its trees cannot be flattened because {Reason}")]
    private static partial void LogTreesNotFlattened(ILogger logger, string path, string version, string reason);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Activity model {Path} loaded: version {Version}, feature schema {SchemaHash}")]
    private static partial void LogLoaded(ILogger logger, string path, string version, string schemaHash);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Activity model {Path} swapped: version {OldVersion} replaced by {NewVersion}")]
    private static partial void LogSwapped(ILogger logger, string path, string oldVersion, string newVersion);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Activity model {Path} changed but cannot be used; version {Version} stays in use: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string path, string version, string reason);
}
