using System.Reactive.Linq;
using System.Runtime.CompilerServices;
using AdherencePipeline.Sensors;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace AdherencePipeline.Nats;

/// <summary>Settings of the per-participant durable consumers (configuration section <c>Nats:Consumer</c>).</summary>
public sealed class ParticipantFrameConsumerOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Nats:Consumer";

    /// <summary>
    /// How long a delivered frame may stay unacknowledged before JetStream delivers it again: the
    /// longest a participant waits after its worker died mid-frame before another worker goes on.
    /// </summary>
    public TimeSpan AckWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a pull request waits for frames before the client asks again (also how soon a lost server is noticed).</summary>
    public TimeSpan PullExpires { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that is wrong.</summary>
    public void Validate()
    {
        if (AckWait < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException("Nats:Consumer:AckWait must be at least 1 s.");
        }

        if (PullExpires < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException("Nats:Consumer:PullExpires must be at least 1 s.");
        }
    }
}

/// <summary>
/// One frame delivered to a worker: the envelope (or why the bytes are not one), where it sits in the
/// stream, and the acknowledgement the worker sends once it has processed it.
/// </summary>
public sealed class ParticipantFrame
{
    private readonly INatsJSMsg<byte[]> _message;

    internal ParticipantFrame(INatsJSMsg<byte[]> message, byte[] data, FrameEnvelopeFault fault, FrameEnvelope envelope)
    {
        _message = message;
        Data = data;
        Fault = fault;
        Envelope = envelope;
        var metadata = message.Metadata;
        StreamSequence = metadata?.Sequence.Stream ?? 0;
        DeliveryCount = metadata?.NumDelivered ?? 1;
    }

    /// <summary>The envelope; <c>default</c> when <see cref="Fault"/> is not <see cref="FrameEnvelopeFault.None"/>.</summary>
    public FrameEnvelope Envelope { get; }

    /// <summary>The frame, ready for <c>PipelineStages.Decode</c> (valid only without a <see cref="Fault"/>).</summary>
    public RawFrame Frame => Envelope.Frame;

    /// <summary>Why the message is not an envelope, or <see cref="FrameEnvelopeFault.None"/>.</summary>
    public FrameEnvelopeFault Fault { get; }

    /// <summary>The message exactly as stored, for a dead-letter file when <see cref="Fault"/> is set.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The frame's sequence number in the stream: rising, a worker's checkpoint position.</summary>
    public ulong StreamSequence { get; }

    /// <summary>How often JetStream has delivered this frame (more than 1 after a worker died or an acknowledgement was lost).</summary>
    public ulong DeliveryCount { get; }

    /// <summary>Tells JetStream the frame is processed; the participant's next frame is delivered after it.</summary>
    public ValueTask AckAsync(CancellationToken cancellationToken = default) => _message.AckAsync(cancellationToken: cancellationToken);

    /// <summary>
    /// Acknowledges the frame and waits until the servers confirm it. An acknowledgement is a message like
    /// any other and can be lost (e.g. while the consumer's leader moves); with one frame in flight a lost one
    /// holds the participant's next frame back for <c>AckWait</c>, while a confirmed one can be sent again.
    /// </summary>
    public ValueTask ConfirmAsync(CancellationToken cancellationToken = default) => _message.AckAsync(new AckOpts { DoubleAck = true }, cancellationToken);

    /// <summary>Hands the frame back unprocessed, so the participant's next reader gets it at once rather than after <c>AckWait</c>.</summary>
    public ValueTask NakAsync(CancellationToken cancellationToken = default) => _message.NakAsync(cancellationToken: cancellationToken);
}

/// <summary>
/// Reads one participant's frames in stream order through a durable JetStream consumer
/// (<see cref="FrameSubjects.ConsumerName"/>), one unacknowledged frame at a time: the next frame is
/// delivered only after the worker acknowledged the previous one, so frames are processed in order
/// even across redeliveries, and a worker that takes the participant over starts at the first frame
/// not acknowledged. Exactly one worker should read a participant at a time (see <c>ParticipantLeases</c>).
/// </summary>
public sealed class ParticipantFrameConsumer
{
    private readonly INatsJSConsumer _consumer;
    private readonly ParticipantFrameConsumerOptions _options;

    private ParticipantFrameConsumer(INatsJSConsumer consumer, string site, string participant, ParticipantFrameConsumerOptions options)
    {
        _consumer = consumer;
        Site = site;
        Participant = participant;
        _options = options;
    }

    /// <summary>The participant's site.</summary>
    public string Site { get; }

    /// <summary>The participant.</summary>
    public string Participant { get; }

    /// <summary>The durable consumer configuration for a participant.</summary>
    public static ConsumerConfig ToConfig(string site, string participant, ParticipantFrameConsumerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var name = FrameSubjects.ConsumerName(site, participant);
        return new ConsumerConfig(name)
        {
            FilterSubject = FrameSubjects.Frames(site, participant),
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = options.AckWait,
            // One frame in flight: the order of processing is the order of the stream, redeliveries included.
            MaxAckPending = 1,
            MaxDeliver = -1,
        };
    }

    /// <summary>Creates the participant's durable consumer on <paramref name="streamName"/>, or binds to it when it exists.</summary>
    public static async Task<ParticipantFrameConsumer> CreateAsync(INatsJSContext jetStream, string streamName, string site, string participant, ParticipantFrameConsumerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jetStream);
        options ??= new ParticipantFrameConsumerOptions();
        var consumer = await jetStream.CreateOrUpdateConsumerAsync(streamName, ToConfig(site, participant, options), cancellationToken).ConfigureAwait(false);
        return new ParticipantFrameConsumer(consumer, site, participant, options);
    }

    /// <summary>
    /// The participant's frames from the first unacknowledged one on, until cancelled. Acknowledge each
    /// (<see cref="ParticipantFrame.AckAsync"/>) after processing it; the next arrives only then.
    /// Frames at or below <paramref name="resumeAfterStreamSequence"/> (a worker's checkpoint: already in
    /// its recovered state) are acknowledged and skipped, and so is any redelivery of a frame already
    /// returned, so a frame is never counted twice.
    /// </summary>
    public async IAsyncEnumerable<ParticipantFrame> ReadAsync(ulong resumeAfterStreamSequence = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var texts = new FrameEnvelopeTextCache();
        var consumeOptions = new NatsJSConsumeOpts { MaxMsgs = 16, Expires = _options.PullExpires };
        await foreach (var message in _consumer.ConsumeAsync<byte[]>(opts: consumeOptions, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var data = message.Data ?? [];
            var fault = FrameEnvelopeCodec.TryRead(data, texts, out var envelope);
            var frame = new ParticipantFrame(message, data, fault, envelope);
            // Below the high-water mark: in the checkpoint, or a redelivery of a frame this reader already
            // handed out (an acknowledgement lost while a consumer leader moved). Either way, done.
            if (frame.StreamSequence != 0 && frame.StreamSequence <= resumeAfterStreamSequence)
            {
                await frame.AckAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            resumeAfterStreamSequence = frame.StreamSequence;
            yield return frame;
        }
    }

    /// <summary>
    /// <see cref="ReadAsync"/> as an observable for the Rx pipeline: each frame is acknowledged once the
    /// observer's <c>OnNext</c> returned, that is after the synchronous stages behind it processed it.
    /// Unsubscribing stops reading; the frame in flight is then delivered again to the next reader.
    /// </summary>
    public IObservable<ParticipantFrame> Observe(ulong resumeAfterStreamSequence = 0) =>
        Observable.Create<ParticipantFrame>(async (observer, cancellationToken) =>
        {
            try
            {
                await foreach (var frame in ReadAsync(resumeAfterStreamSequence, cancellationToken).ConfigureAwait(false))
                {
                    observer.OnNext(frame);
                    await frame.AckAsync(cancellationToken).ConfigureAwait(false);
                }

                observer.OnCompleted();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Unsubscribed.
            }
        });
}
