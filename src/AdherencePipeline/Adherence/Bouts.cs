namespace AdherencePipeline.Adherence;

/// <summary>
/// One classified analysis window, as the bout and session rules see it. Windows overlap by half, so
/// each stands for the middle half of its span (its "slot", one hop long): slots tile time exactly
/// once, and minutes are counted in slots.
/// </summary>
/// <param name="StartNs">Window start, ns since the Unix epoch.</param>
/// <param name="EndNs">Window end.</param>
/// <param name="Activity">The (smoothed) class name from the taxonomy, e.g. <c>walking</c>.</param>
/// <param name="Zone">Intensity zone, or null when neither heart rate nor motion could give one.</param>
/// <param name="HeartRateBpm">Mean valid heart rate in the window, or null.</param>
/// <param name="PercentHrr">Mean %HRR, or null.</param>
/// <param name="Valid">Whether the window was complete (no gap, full coverage) and classified.</param>
public readonly record struct ClassifiedWindow(long StartNs, long EndNs, string Activity, IntensityZone? Zone, double? HeartRateBpm, double? PercentHrr, bool Valid)
{
    /// <summary>Whether the window shows exercise: valid and not rest.</summary>
    public bool IsExercise => Valid && !string.Equals(Activity, ExerciseClasses.Rest, StringComparison.Ordinal);

    /// <summary>Start of the slot this window stands for.</summary>
    public long SlotStartNs => StartNs + (EndNs - StartNs) / 4;

    /// <summary>End of the slot.</summary>
    public long SlotEndNs => StartNs + (EndNs - StartNs) * 3 / 4;
}

/// <summary>The bout and session rules. Defaults and their reasons are in docs/adherence.md.</summary>
public sealed record BoutOptions
{
    /// <summary>
    /// Shortest bout of exercise. 2 min: longer than incidental movement (a walk to the kitchen),
    /// shorter than any prescribed exercise block.
    /// </summary>
    public TimeSpan MinimumBout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Longest interruption tolerated inside a bout (rest, misclassified or invalid windows). 1 min:
    /// a pause at a crossing or a change of machine does not split a bout.
    /// </summary>
    public TimeSpan MaximumInterruption { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Longest pause between bouts of one session. 10 min: a rest between sets, not a new session.</summary>
    public TimeSpan MaximumSessionGap { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a non-positive bout or a negative tolerance.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MinimumBout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaximumInterruption, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaximumSessionGap, TimeSpan.Zero);
    }
}

/// <summary>Exercise time, intensity and heart rate over a span (a bout or a session).</summary>
public sealed class ExerciseSummary
{
    private readonly Dictionary<string, long> _classNs = new(StringComparer.Ordinal);
    private readonly long[] _zoneNs = new long[3];
    private double _heartRateSum;
    private double _hrrSum;
    private long _heartRateSlots;
    private long _hrrSlots;

    /// <summary>Start of the span, ns since the Unix epoch.</summary>
    public long StartNs { get; private set; } = long.MaxValue;

    /// <summary>End of the span.</summary>
    public long EndNs { get; private set; } = long.MinValue;

    /// <summary>Exercise time per class, in ns.</summary>
    public IReadOnlyDictionary<string, long> ExerciseNsByClass => _classNs;

    /// <summary>Total exercise time, ns.</summary>
    public long ExerciseNs { get; private set; }

    /// <summary>Time covered by valid windows, ns (the denominator of <see cref="Coverage"/>).</summary>
    public long ValidNs { get; private set; }

    /// <summary>Exercise time whose intensity came from heart rate, ns.</summary>
    public long HeartRateIntensityNs { get; private set; }

    /// <summary>Share of the span with a valid signal, 0–1.</summary>
    public double Coverage => EndNs > StartNs ? Math.Min(1, (double)ValidNs / (EndNs - StartNs)) : 0;

    /// <summary>Mean heart rate over exercise slots with heart rate, or null.</summary>
    public double? MeanHeartRateBpm => _heartRateSlots > 0 ? _heartRateSum / _heartRateSlots : null;

    /// <summary>Highest window heart rate, or null.</summary>
    public double? PeakHeartRateBpm { get; private set; }

    /// <summary>Mean %HRR over exercise slots with heart rate, or null.</summary>
    public double? MeanPercentHrr => _hrrSlots > 0 ? _hrrSum / _hrrSlots : null;

    /// <summary>Exercise time in a zone, ns.</summary>
    public long ZoneNs(IntensityZone zone) => _zoneNs[(int)zone];

    /// <summary>Exercise time in the prescription's target zone or above, of the classes it counts, ns.</summary>
    public long TargetNs { get; private set; }

    /// <summary>
    /// A stored session's summary, as far as adherence needs it: span, exercise and target time. Used to
    /// count sessions stored before a restart; zones, classes and heart rate are not restored.
    /// </summary>
    public static ExerciseSummary Restore(long startNs, long endNs, long exerciseNs, long targetNs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(endNs, startNs);
        ArgumentOutOfRangeException.ThrowIfNegative(exerciseNs);
        ArgumentOutOfRangeException.ThrowIfNegative(targetNs);
        return new ExerciseSummary { StartNs = startNs, EndNs = endNs, ExerciseNs = exerciseNs, TargetNs = targetNs };
    }

    internal void Add(ClassifiedWindow window, Prescription? prescription, IntensityZone target)
    {
        var start = window.SlotStartNs;
        var end = window.SlotEndNs;
        var length = end - start;
        StartNs = Math.Min(StartNs, start);
        EndNs = Math.Max(EndNs, end);
        if (window.Valid)
        {
            ValidNs += length;
        }

        if (!window.IsExercise)
        {
            return;
        }

        ExerciseNs += length;
        _classNs[window.Activity] = _classNs.GetValueOrDefault(window.Activity) + length;
        if (window.Zone is { } zone)
        {
            _zoneNs[(int)zone] += length;
            if (zone >= target && (prescription is null || prescription.Counts(window.Activity)))
            {
                TargetNs += length;
            }
        }

        if (window.HeartRateBpm is { } bpm)
        {
            _heartRateSum += bpm;
            _heartRateSlots++;
            PeakHeartRateBpm = Math.Max(PeakHeartRateBpm ?? bpm, bpm);
            HeartRateIntensityNs += length;
        }

        if (window.PercentHrr is { } hrr)
        {
            _hrrSum += hrr;
            _hrrSlots++;
        }
    }

    internal void Merge(ExerciseSummary other)
    {
        StartNs = Math.Min(StartNs, other.StartNs);
        EndNs = Math.Max(EndNs, other.EndNs);
        ExerciseNs += other.ExerciseNs;
        ValidNs += other.ValidNs;
        TargetNs += other.TargetNs;
        HeartRateIntensityNs += other.HeartRateIntensityNs;
        foreach (var (name, ns) in other._classNs)
        {
            _classNs[name] = _classNs.GetValueOrDefault(name) + ns;
        }

        for (var i = 0; i < _zoneNs.Length; i++)
        {
            _zoneNs[i] += other._zoneNs[i];
        }

        _heartRateSum += other._heartRateSum;
        _heartRateSlots += other._heartRateSlots;
        _hrrSum += other._hrrSum;
        _hrrSlots += other._hrrSlots;
        if (other.PeakHeartRateBpm is { } peak)
        {
            PeakHeartRateBpm = Math.Max(PeakHeartRateBpm ?? peak, peak);
        }
    }
}

/// <summary>A closed bout: a run of exercise windows of at least the minimum length.</summary>
/// <param name="Participant">The participant's code.</param>
/// <param name="Summary">What happened in it.</param>
public sealed record Bout(string Participant, ExerciseSummary Summary);

/// <summary>Quality flags of a session.</summary>
[Flags]
public enum SessionQuality
{
    /// <summary>Nothing to report.</summary>
    None = 0,

    /// <summary>Less than 80 % of the session had a valid signal.</summary>
    LowCoverage = 1,

    /// <summary>No heart rate during exercise: intensity came from motion only.</summary>
    NoHeartRate = 2,

    /// <summary>The session was still open when the stream ended (shutdown) and was closed there.</summary>
    ClosedAtShutdown = 4,

    /// <summary>
    /// The session was open when an earlier run of the service ended without a clean stop (a crash or
    /// kill); it was restored from the session journal at the next start and then continued or closed.
    /// </summary>
    Recovered = 8,
}

/// <summary>A closed session: bouts no further apart than the session gap.</summary>
/// <param name="Participant">The participant's code.</param>
/// <param name="Summary">Exercise, intensity and heart rate over the session.</param>
/// <param name="Bouts">How many bouts it joined.</param>
/// <param name="Quality">Quality flags.</param>
/// <param name="LocalDate">The participant's local date of the session start.</param>
public sealed record Session(string Participant, ExerciseSummary Summary, int Bouts, SessionQuality Quality, DateOnly LocalDate);

/// <summary>
/// Turns a participant's classified windows, in time order, into bouts and sessions as they close.
/// Plain code: the live pipeline feeds it window by window, analyses feed it whole days.
/// </summary>
public sealed class SessionBuilder
{
    private readonly Participant? _participant;
    private readonly string _code;
    private readonly BoutOptions _options;
    private readonly List<ClassifiedWindow> _candidate = [];
    private ExerciseSummary? _session;
    private int _sessionBouts;
    private long _lastExerciseEndNs = long.MinValue;
    private bool _recovered;

    /// <summary>Creates the builder for a registered participant (prescription, time zone) or a bare code.</summary>
    public SessionBuilder(Participant participant, BoutOptions? options = null)
        : this(participant?.Id ?? throw new ArgumentNullException(nameof(participant)), options) => _participant = participant;

    /// <summary>Creates the builder for a participant known only by code (no prescription: every exercise class counts).</summary>
    public SessionBuilder(string participantCode, BoutOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(participantCode);
        _code = participantCode;
        _options = options ?? new BoutOptions();
        _options.Validate();
    }

    /// <summary>Whether nothing is open: no bout in progress and no session waiting for more bouts.</summary>
    public bool IsIdle => _candidate.Count == 0 && _session is null;

    /// <summary>
    /// Start of what is open (the open session, or else the bout in progress), ns; null when idle.
    /// Windows whose slot starts earlier no longer affect anything the builder will emit.
    /// </summary>
    public long? OpenSinceNs => _session is not null
        ? Math.Min(_session.StartNs, _candidate.Count > 0 ? _candidate[0].SlotStartNs : long.MaxValue)
        : _candidate.Count > 0 ? _candidate[0].SlotStartNs : null;

    /// <summary>
    /// Marks what is open as restored after an unclean stop: the session it belongs to, when it closes,
    /// carries <see cref="SessionQuality.Recovered"/>. Does nothing when idle.
    /// </summary>
    public void MarkRecovered() => _recovered = !IsIdle;

    /// <summary>
    /// No window has arrived up to <paramref name="nowNs"/>: closes the bout and the session that this
    /// silence ends, exactly as a window without exercise at that time would.
    /// </summary>
    public void Expire(long nowNs, ICollection<Bout> bouts, ICollection<Session> sessions)
    {
        ArgumentNullException.ThrowIfNull(bouts);
        ArgumentNullException.ThrowIfNull(sessions);
        if (_candidate.Count > 0 && nowNs - _lastExerciseEndNs > _options.MaximumInterruption.Ticks * 100)
        {
            CloseCandidate(bouts, sessions);
        }

        if (_session is not null && _candidate.Count == 0 && nowNs - _session.EndNs > _options.MaximumSessionGap.Ticks * 100)
        {
            CloseSession(sessions, SessionQuality.None);
        }
    }

    /// <summary>Adds the next window; bouts and sessions it closes go to the outputs.</summary>
    public void Add(ClassifiedWindow window, ICollection<Bout> bouts, ICollection<Session> sessions)
    {
        ArgumentNullException.ThrowIfNull(bouts);
        ArgumentNullException.ThrowIfNull(sessions);
        var toleranceNs = _options.MaximumInterruption.Ticks * 100;
        if (window.IsExercise)
        {
            if (_candidate.Count > 0 && window.SlotStartNs - _lastExerciseEndNs > toleranceNs)
            {
                CloseCandidate(bouts, sessions);
            }

            _candidate.Add(window);
            _lastExerciseEndNs = window.SlotEndNs;
        }
        else if (_candidate.Count > 0)
        {
            if (window.SlotEndNs - _lastExerciseEndNs > toleranceNs)
            {
                CloseCandidate(bouts, sessions);
            }
            else
            {
                _candidate.Add(window);
            }
        }

        if (_session is not null && _candidate.Count == 0 && window.SlotStartNs - _session.EndNs > _options.MaximumSessionGap.Ticks * 100)
        {
            CloseSession(sessions, SessionQuality.None);
        }
    }

    /// <summary>Ends the stream (shutdown, end of a recording): closes what is open, flagged as such.</summary>
    public void Complete(ICollection<Bout> bouts, ICollection<Session> sessions)
    {
        ArgumentNullException.ThrowIfNull(bouts);
        ArgumentNullException.ThrowIfNull(sessions);
        var open = _candidate.Count > 0;
        CloseCandidate(bouts, sessions);
        if (_session is not null)
        {
            CloseSession(sessions, open ? SessionQuality.ClosedAtShutdown : SessionQuality.None);
        }
    }

    private void CloseCandidate(ICollection<Bout> bouts, ICollection<Session> sessions)
    {
        // Trailing interruptions belong to no bout.
        var last = _candidate.FindLastIndex(w => w.IsExercise);
        if (last < 0)
        {
            _candidate.Clear();
            return;
        }

        var first = _candidate[0];
        var length = _candidate[last].SlotEndNs - first.SlotStartNs;
        if (length >= _options.MinimumBout.Ticks * 100)
        {
            var prescription = PrescriptionAt(first.SlotStartNs);
            var target = prescription?.TargetZone ?? IntensityZone.Moderate;
            var summary = new ExerciseSummary();
            for (var i = 0; i <= last; i++)
            {
                summary.Add(_candidate[i], prescription, target);
            }

            bouts.Add(new Bout(_code, summary));
            if (_session is not null && summary.StartNs - _session.EndNs > _options.MaximumSessionGap.Ticks * 100)
            {
                CloseSession(sessions, SessionQuality.None);
            }

            if (_session is null)
            {
                _session = new ExerciseSummary();
                _sessionBouts = 0;
            }

            _session.Merge(summary);
            _sessionBouts++;
        }

        _candidate.Clear();
        if (_session is null)
        {
            // A restored bout that turned out too short leaves nothing to flag.
            _recovered = false;
        }
    }

    private void CloseSession(ICollection<Session> sessions, SessionQuality extra)
    {
        var s = _session!;
        var quality = extra;
        if (_recovered)
        {
            quality |= SessionQuality.Recovered;
            _recovered = false;
        }

        if (s.Coverage < 0.8)
        {
            quality |= SessionQuality.LowCoverage;
        }

        if (s.HeartRateIntensityNs == 0)
        {
            quality |= SessionQuality.NoHeartRate;
        }

        var start = DateTimeOffset.UnixEpoch.AddTicks(s.StartNs / 100);
        var localDate = _participant?.LocalDate(start) ?? DateOnly.FromDateTime(start.UtcDateTime);
        sessions.Add(new Session(_code, s, _sessionBouts, quality, localDate));
        _session = null;
        _sessionBouts = 0;
    }

    private Prescription? PrescriptionAt(long ns) =>
        _participant?.PrescriptionOn(_participant.LocalDate(DateTimeOffset.UnixEpoch.AddTicks(ns / 100)));
}
