//! Compute on the GPU through wgpu: device selection and the pairwise-distance shader.
//!
//! # Devices
//! The app hands over the device eframe's renderer already created ([`Gpu::from_parts`]);
//! the CLI and tests create one ([`Gpu::headless`]). [`ComputeDevice::Auto`] uses a real GPU
//! and treats a software adapter (lavapipe, llvmpipe: `DeviceType::Cpu`) as none, because
//! there the CPU GEMM path is ~40× faster; `Gpu` forces the adapter whatever it is.
//!
//! # Distances
//! `distance.wgsl` computes one 64 × 64 tile of sums of squared or absolute differences per
//! workgroup, staging both inputs in workgroup memory. The host prepares the rows exactly as
//! the CPU path does ([`crate::analysis::distance::prepare`], in f64, then f32), so every
//! metric is one of the two sums. Work goes in blocks of rows: for each pair of blocks on or
//! above the diagonal both blocks are uploaded, one dispatch covers their product, and the
//! tile is read back into the single f64 result (mirrored), so no second n² copy exists and
//! any n fits the adapter's buffer limits.

use std::sync::mpsc;

use ndarray::Array2;
use wgpu::util::DeviceExt as _;

use crate::analysis::distance::{DistanceError, Kernel, Prepared};
use crate::jobs::CancelToken;

pub use crate::recipes::distance_map::ComputeDevice;

/// Why the GPU could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GpuError {
    /// No adapter at all.
    #[error("no GPU adapter found ({0})")]
    NoAdapter(String),
    /// The adapter refused a device.
    #[error("the GPU adapter refused a device: {0}")]
    Device(String),
    /// The device lacks what compute shaders need (storage buffers, workgroup size).
    #[error("the GPU device {0} cannot run compute shaders")]
    NoCompute(String),
    /// The data cannot be tiled within the adapter's limits.
    #[error("{0} values per item exceed the GPU's buffer limit")]
    TooWide(usize),
    /// Reading results back failed.
    #[error("reading results back from the GPU failed: {0}")]
    Readback(String),
    /// Cancelled.
    #[error("cancelled")]
    Cancelled,
    /// The result does not fit in memory.
    #[error(transparent)]
    Memory(#[from] crate::memory::MemoryError),
}

/// Why [`distances_on`] produced no matrix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComputeError {
    /// The CPU path failed (or was cancelled).
    #[error(transparent)]
    Cpu(#[from] DistanceError),
    /// The GPU path failed (or was cancelled).
    #[error(transparent)]
    Gpu(#[from] GpuError),
}

impl ComputeError {
    /// True when the work was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Self::Cpu(DistanceError::Cancelled) | Self::Gpu(GpuError::Cancelled))
    }
}

/// "CPU (8 threads)".
pub fn cpu_label() -> String {
    format!("CPU ({} threads)", std::thread::available_parallelism().map_or(1, usize::from))
}

/// The distance matrix of `prepared` on the device `choice` asks for ([`Gpu::should_run`]),
/// and where it ran: "GPU: NVIDIA H100 (Vulkan)", or "CPU (8 threads)" with the reason a GPU
/// was passed over. `ComputeDevice::Gpu` without an adapter is the CPU with a note, never an
/// error: the caller decides whether to warn.
pub fn distances_on(
    gpu: Option<&Gpu>,
    choice: ComputeDevice,
    prepared: &Prepared,
    cancel: Option<&CancelToken>,
    progress: &mut dyn FnMut(f32),
) -> Result<(Array2<f64>, String), ComputeError> {
    if Gpu::should_run(gpu, choice)
        && let Some(gpu) = gpu
    {
        let matrix = gpu.distances(prepared, cancel, progress)?;
        return Ok((matrix, format!("GPU: {}", gpu.label())));
    }
    let note = match (gpu, choice) {
        (_, ComputeDevice::Cpu) => String::new(),
        (None, _) => "; no GPU adapter".to_owned(),
        (Some(gpu), _) => format!("; {} skipped: a software adapter is slower", gpu.label()),
    };
    let matrix = crate::analysis::distance::pairwise_prepared(prepared, cancel, progress)?;
    Ok((matrix, format!("{}{note}", cpu_label())))
}

/// A wgpu device and queue with what is known of the adapter.
#[derive(Debug, Clone)]
pub struct Gpu {
    /// The instance the adapter came from (burn's wgpu setup asks for it).
    instance: wgpu::Instance,
    adapter: wgpu::Adapter,
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
}

impl Gpu {
    /// Creates a device on the best adapter (high performance), for the CLI and tests.
    pub fn headless() -> Result<Self, GpuError> {
        let (instance, adapter) = Self::headless_adapter()?;
        Self::device_on(instance, adapter)
    }

    /// The adapter [`Gpu::headless`] would use, without a device.
    fn headless_adapter() -> Result<(wgpu::Instance, wgpu::Adapter), GpuError> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            ..Default::default()
        }))
        .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        Ok((instance, adapter))
    }

    /// [`Gpu::headless`] for [`ComputeDevice::Auto`], which passes over a software adapter:
    /// `Ok(None)` with the adapter's label instead of creating a device it would not use
    /// (a software driver's device costs tens of megabytes).
    pub fn headless_hardware() -> Result<Result<Self, String>, GpuError> {
        let (instance, adapter) = Self::headless_adapter()?;
        let info = adapter.get_info();
        if info.device_type == wgpu::DeviceType::Cpu {
            return Ok(Err(format!("{} (software, {})", info.name, info.backend)));
        }
        Self::device_on(instance, adapter).map(Ok)
    }

    fn device_on(instance: wgpu::Instance, adapter: wgpu::Adapter) -> Result<Self, GpuError> {
        let (device, queue) = pollster::block_on(adapter.request_device(&Self::device_descriptor(&adapter)))
            .map_err(|e| GpuError::Device(e.to_string()))?;
        let info = adapter.get_info();
        Ok(Self { instance, adapter, device, queue, info })
    }

    /// What a compute device asks of `adapter`: all its limits, and all its features but
    /// mappable primary buffers and the experimental ones. burn's wgpu backend (`nn`) reads
    /// the features from the adapter and uses them (subgroups, timestamp queries), so the
    /// device must have them enabled; the app asks eframe for the same device.
    pub fn device_descriptor(adapter: &wgpu::Adapter) -> wgpu::DeviceDescriptor<'static> {
        wgpu::DeviceDescriptor {
            label: Some("biolens compute"),
            required_features: adapter
                .features()
                .difference(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS)
                .difference(wgpu::Features::all_experimental_mask()),
            required_limits: adapter.limits(),
            ..Default::default()
        }
    }

    /// The instance, adapter, device and queue (for burn's wgpu backend).
    pub fn parts(&self) -> (wgpu::Instance, wgpu::Adapter, wgpu::Device, wgpu::Queue) {
        (self.instance.clone(), self.adapter.clone(), self.device.clone(), self.queue.clone())
    }

    /// Wraps a device created elsewhere (eframe's renderer). An error when the device
    /// cannot run the distance shader (a WebGL-level device has no storage buffers).
    pub fn from_parts(
        instance: &wgpu::Instance,
        adapter: &wgpu::Adapter,
        device: wgpu::Device,
        queue: wgpu::Queue,
    ) -> Result<Self, GpuError> {
        let limits = device.limits();
        let info = adapter.get_info();
        let enough = limits.max_storage_buffers_per_shader_stage >= 3
            && limits.max_compute_invocations_per_workgroup >= 256
            && limits.max_compute_workgroup_size_x >= 16
            && limits.max_compute_workgroup_size_y >= 16
            && limits.max_compute_workgroup_storage_size >= 8192;
        if !enough {
            return Err(GpuError::NoCompute(format!("{} ({})", info.name, info.backend)));
        }
        Ok(Self { instance: instance.clone(), adapter: adapter.clone(), device, queue, info })
    }

    /// The adapter's description.
    pub fn info(&self) -> &wgpu::AdapterInfo {
        &self.info
    }

    /// True for a software rasteriser (lavapipe, llvmpipe, WARP).
    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// "NVIDIA H100 (Vulkan)" or "llvmpipe (software, Vulkan)".
    pub fn label(&self) -> String {
        let software = if self.is_software() { "software, " } else { "" };
        format!("{} ({software}{})", self.info.name, self.info.backend)
    }

    /// Whether `choice` runs on this GPU (`false`: the CPU).
    pub fn should_run(gpu: Option<&Self>, choice: ComputeDevice) -> bool {
        match choice {
            ComputeDevice::Cpu => false,
            ComputeDevice::Gpu => gpu.is_some(),
            ComputeDevice::Auto => gpu.is_some_and(|g| !g.is_software()),
        }
    }

    /// The largest block of rows (a multiple of 64) whose inputs and output fit the limits.
    fn block_rows(&self, n: usize, dims: usize) -> Result<usize, GpuError> {
        let limits = self.device.limits();
        let max_bytes = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
        let per_row = dims as u64 * 4;
        let by_input = max_bytes / per_row.max(1);
        // Output tiles of at most 4096² f32 (64 MB) keep the read-back prompt.
        let by_output = ((max_bytes / 4) as f64).sqrt() as u64;
        let rows = by_input.min(by_output).min(4096).min(n.next_multiple_of(64) as u64);
        let rows = rows / 64 * 64;
        if rows == 0 {
            return Err(GpuError::TooWide(dims));
        }
        Ok(rows as usize)
    }

    /// The rows as f32, cut into blocks that fit the limits, and the compiled shader.
    fn tiling(&self, prepared: &Prepared) -> Result<Tiling, GpuError> {
        let (n, dims) = prepared.rows.dim();
        let block = self.block_rows(n, dims)?;
        Ok(Tiling {
            data: prepared.rows.iter().map(|&v| v as f32).collect(),
            dims,
            block,
            blocks: (0..n).step_by(block).map(|s| (s, block.min(n - s))).collect(),
            pipeline: DistancePipeline::new(&self.device),
        })
    }

    /// The full symmetric distance matrix of prepared rows, computed by the shader.
    /// `progress` gets the fraction done after each tile; cancel is checked there.
    pub fn distances(
        &self,
        prepared: &Prepared,
        cancel: Option<&CancelToken>,
        progress: &mut dyn FnMut(f32),
    ) -> Result<Array2<f64>, GpuError> {
        let tiling = self.tiling(prepared)?;
        let (n, dims) = prepared.rows.dim();
        let kernel = match prepared.metric.kernel() {
            Kernel::SquaredDifferences => 0u32,
            Kernel::AbsoluteDifferences => 1,
        };
        let mut out = crate::memory::try_matrix(n, n, "the distance matrix")?;
        let blocks = &tiling.blocks;
        let pairs = blocks.len() * (blocks.len() + 1) / 2;
        let mut done = 0;
        for (bi, &(start_a, len_a)) in blocks.iter().enumerate() {
            let buffer_a = self.upload(tiling.block(bi));
            for (bj, &(start_b, len_b)) in blocks.iter().enumerate().skip(bi) {
                if cancel.is_some_and(CancelToken::is_cancelled) {
                    return Err(GpuError::Cancelled);
                }
                // Later blocks are uploaded per pair: only two blocks are on the GPU at once.
                let uploaded;
                let buffer_b = if bj == bi {
                    &buffer_a
                } else {
                    uploaded = self.upload(tiling.block(bj));
                    &uploaded
                };
                let params = [len_a as u32, len_b as u32, dims as u32, kernel];
                let tile = self.run_tile(&tiling.pipeline, &buffer_a, buffer_b, params)?;
                for (r, row) in tile.chunks_exact(len_b).enumerate() {
                    let i = start_a + r;
                    for (c, &v) in row.iter().enumerate() {
                        let j = start_b + c;
                        if j > i {
                            let d = prepared.metric.finish(f64::from(v.max(0.0)));
                            out[[i, j]] = d;
                            out[[j, i]] = d;
                        }
                    }
                }
                done += 1;
                progress(done as f32 / pairs as f32);
            }
        }
        prepared.fix_undirected(&mut out);
        Ok(out)
    }

    fn upload(&self, values: &[f32]) -> wgpu::Buffer {
        // wgpu rejects empty bindings; a block is never empty, but keep one value at least.
        let bytes: &[u8] = if values.is_empty() { &[0; 4] } else { bytemuck::cast_slice(values) };
        self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("distance input"),
            contents: bytes,
            usage: wgpu::BufferUsages::STORAGE,
        })
    }

    /// One dispatch: `params` = [rows of a, rows of b, dims, kernel]; returns the tile.
    fn run_tile(
        &self,
        pipeline: &DistancePipeline,
        a: &wgpu::Buffer,
        b: &wgpu::Buffer,
        params: [u32; 4],
    ) -> Result<Vec<f32>, GpuError> {
        let (rows_a, rows_b) = (u64::from(params[0]), u64::from(params[1]));
        let size = rows_a * rows_b * 4;
        let result = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("distance tile"),
            size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("distance read-back"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        self.encode_tile(&mut encoder, pipeline, [a, b, &result], params);
        encoder.copy_buffer_to_buffer(&result, 0, &staging, 0, size);
        self.queue.submit([encoder.finish()]);
        let (tx, rx) = mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        self.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| GpuError::Readback(e.to_string()))?;
        rx.recv().map_err(|e| GpuError::Readback(e.to_string()))?.map_err(|e| GpuError::Readback(e.to_string()))?;
        let view = staging.get_mapped_range(..).map_err(|e| GpuError::Readback(e.to_string()))?;
        let values = view.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        drop(view);
        staging.unmap();
        Ok(values)
    }
}

impl Gpu {
    /// Records one dispatch of the shader on `buffers` = [a, b, result].
    fn encode_tile(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        pipeline: &DistancePipeline,
        buffers: [&wgpu::Buffer; 3],
        params: [u32; 4],
    ) {
        let uniform = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("distance params"),
            contents: bytemuck::cast_slice(&params),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("distance bindings"),
            layout: &pipeline.layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: buffers[0].as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: buffers[1].as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: buffers[2].as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: uniform.as_entire_binding() },
            ],
        });
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes: None });
        pass.set_pipeline(&pipeline.pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(params[1].div_ceil(64), params[0].div_ceil(64), 1);
    }

    /// Times the shader alone on every tile of `prepared` (inputs already on the GPU, no
    /// read-back), then the whole [`Gpu::distances`] call.
    pub fn bench_kernel(&self, prepared: &Prepared) -> Result<BenchReport, GpuError> {
        let tiling = self.tiling(prepared)?;
        let (blocks, dims, block) = (&tiling.blocks, tiling.dims, tiling.block);
        let inputs: Vec<wgpu::Buffer> = (0..blocks.len()).map(|b| self.upload(tiling.block(b))).collect();
        let result = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("distance tile"),
            size: (block * block * 4) as u64,
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        let wait =
            || self.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| GpuError::Readback(e.to_string()));
        let run = || -> Result<f64, GpuError> {
            let mut flops = 0.0;
            let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
            for (bi, &(_, len_a)) in blocks.iter().enumerate() {
                for (bj, &(_, len_b)) in blocks.iter().enumerate().skip(bi) {
                    let params = [len_a as u32, len_b as u32, dims as u32, 0];
                    self.encode_tile(&mut encoder, &tiling.pipeline, [&inputs[bi], &inputs[bj], &result], params);
                    flops += 3.0 * (len_a * len_b * dims) as f64;
                }
            }
            self.queue.submit([encoder.finish()]);
            wait()?;
            Ok(flops)
        };
        run()?; // warm-up: shader compilation, first-use allocations
        let started = std::time::Instant::now();
        let flops = run()?;
        let kernel_seconds = started.elapsed().as_secs_f64();
        let started = std::time::Instant::now();
        let _ = self.distances(prepared, None, &mut |_| {})?;
        let total_seconds = started.elapsed().as_secs_f64();
        Ok(BenchReport { kernel_seconds, total_seconds, flops })
    }
}

/// What [`Gpu::bench_kernel`] measured.
#[derive(Debug, Clone, Copy)]
pub struct BenchReport {
    /// The dispatches alone.
    pub kernel_seconds: f64,
    /// [`Gpu::distances`]: upload, dispatches, read-back, f64 result.
    pub total_seconds: f64,
    /// Floating-point operations of the dispatches (3 per value pair).
    pub flops: f64,
}

/// Published FP32 peaks (TFLOP/s, boost clock) of common compute GPUs, by adapter name.
pub fn fp32_peak_tflops(adapter: &str) -> Option<f64> {
    const PEAKS: [(&str, f64); 16] = [
        ("H200", 67.0),
        ("H100 PCIe", 51.2),
        ("H100", 67.0),
        ("A100", 19.5),
        ("A10G", 31.2),
        ("A10", 31.2),
        ("L40S", 91.6),
        ("L4", 30.3),
        ("V100", 15.7),
        ("T4", 8.1),
        ("RTX 4090", 82.6),
        ("RTX 4080", 48.7),
        ("RTX 3090", 35.6),
        ("RTX 3080", 29.8),
        ("RTX A6000", 38.7),
        ("Radeon RX 7900 XTX", 61.4),
    ];
    PEAKS.iter().find(|(name, _)| adapter.contains(name)).map(|&(_, peak)| peak)
}

/// Rows cut into blocks for the shader.
struct Tiling {
    /// Items × dims, row-major, f32.
    data: Vec<f32>,
    dims: usize,
    /// Rows per block (the last may hold fewer).
    block: usize,
    /// (first row, rows) of each block.
    blocks: Vec<(usize, usize)>,
    pipeline: DistancePipeline,
}

impl Tiling {
    /// The values of block `b`.
    fn block(&self, b: usize) -> &[f32] {
        let (start, len) = self.blocks[b];
        &self.data[start * self.dims..(start + len) * self.dims]
    }
}

/// The compiled shader and its bind-group layout.
struct DistancePipeline {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

impl DistancePipeline {
    fn new(device: &wgpu::Device) -> Self {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("distance.wgsl"),
            source: wgpu::ShaderSource::Wgsl(include_str!("distance.wgsl").into()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("distances"),
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: wgpu::PipelineCompilationOptions::default(),
            cache: None,
        });
        let layout = pipeline.get_bind_group_layout(0);
        Self { pipeline, layout }
    }
}
