//! The scatter's points drawn on the GPU through eframe's wgpu renderer: one instanced draw of
//! a disc per point, inside egui's own render pass (a paint callback).
//!
//! # Why
//! The mesh path ([`super::scatter::points_mesh`]) rebuilds four vertices per point on the CPU
//! every frame and hands them to egui: fine up to ~100,000 points, not at 1,000,000. Here
//! the points (position, colour, size: 16 bytes each) are uploaded once per embedding,
//! colouring or selection, and a frame only writes the view's transform (a few bytes) and
//! issues one draw: panning and zooming a million points costs the GPU, not the CPU.
//!
//! # How it works
//! [`install`] builds the pipeline for the window's colour format and keeps it in the
//! renderer's callback resources. Each scatter has an entry there (its instance buffer, its
//! uniforms), found by the scatter's id, so several scatters can draw in one frame. The
//! vertex shader places a quad of the point's radius around its screen position; the fragment
//! shader cuts the disc with a one-pixel anti-aliased edge and writes premultiplied alpha,
//! as egui does. Colours arrive as egui's sRGB bytes and are converted to linear only when
//! the target format is an sRGB one.

use std::collections::HashMap;
use std::sync::Arc;

use eframe::egui::{self, Color32, Rect};
use eframe::egui_wgpu::{self, CallbackResources, CallbackTrait, ScreenDescriptor};

/// One point on the GPU.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Instance {
    /// Data coordinates.
    pub xy: [f32; 2],
    /// sRGB colour with alpha, premultiplied, as egui's `Color32` bytes.
    pub colour: [u8; 4],
    /// Radius as a multiple of the marker radius (selection rings are larger).
    pub size: f32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Uniforms {
    /// Screen size in points.
    screen: [f32; 2],
    /// Data → screen points: `p · scale + offset`.
    scale: [f32; 2],
    offset: [f32; 2],
    /// Marker radius in points.
    radius: f32,
    /// Pixels per point (for the anti-aliased edge).
    pixels_per_point: f32,
    /// 1 when the target stores sRGB (convert to linear), else 0.
    srgb: u32,
    padding: [u32; 3],
}

const SHADER: &str = r"
struct Uniforms {
    screen: vec2<f32>,
    scale: vec2<f32>,
    offset: vec2<f32>,
    radius: f32,
    pixels_per_point: f32,
    srgb: u32,
};
@group(0) @binding(0) var<uniform> u: Uniforms;

struct Out {
    @builtin(position) clip: vec4<f32>,
    @location(0) corner: vec2<f32>,
    @location(1) colour: vec4<f32>,
    @location(2) radius_px: f32,
};

fn linear(c: f32) -> f32 {
    if c <= 0.04045 { return c / 12.92; }
    return pow((c + 0.055) / 1.055, 2.4);
}

@vertex
fn vs(@builtin(vertex_index) v: u32, @location(0) xy: vec2<f32>, @location(1) colour: vec4<f32>, @location(2) size: f32) -> Out {
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, -1.0), vec2<f32>(1.0, 1.0),
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, 1.0), vec2<f32>(-1.0, 1.0),
    );
    let c = corners[v];
    let r = u.radius * size;
    let p = xy * u.scale + u.offset + c * (r + 1.0 / u.pixels_per_point);
    var out: Out;
    out.clip = vec4<f32>(p.x / u.screen.x * 2.0 - 1.0, 1.0 - p.y / u.screen.y * 2.0, 0.0, 1.0);
    out.corner = c * (r + 1.0 / u.pixels_per_point) * u.pixels_per_point;
    out.radius_px = r * u.pixels_per_point;
    var rgb = colour.rgb;
    if u.srgb == 1u && colour.a > 0.0 {
        // Premultiplied sRGB bytes: unpremultiply, linearise, premultiply again.
        let straight = rgb / colour.a;
        rgb = vec3<f32>(linear(straight.r), linear(straight.g), linear(straight.b)) * colour.a;
    }
    out.colour = vec4<f32>(rgb, colour.a);
    return out;
}

@fragment
fn fs(in: Out) -> @location(0) vec4<f32> {
    let coverage = clamp(in.radius_px - length(in.corner) + 0.5, 0.0, 1.0);
    if coverage <= 0.0 { discard; }
    return in.colour * coverage;
}
";

struct Entry {
    key: u64,
    instances: wgpu::Buffer,
    count: u32,
    uniforms: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
}

/// The pipeline and every scatter's buffers, kept in the renderer's callback resources.
struct Resources {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    srgb: bool,
    entries: HashMap<egui::Id, Entry>,
}

/// Builds the pipeline for the renderer's target format and keeps it for the callbacks.
pub fn install(render_state: &egui_wgpu::RenderState) {
    let device = &render_state.device;
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("scatter points"),
        source: wgpu::ShaderSource::Wgsl(SHADER.into()),
    });
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("scatter uniforms"),
        entries: &[wgpu::BindGroupLayoutEntry {
            binding: 0,
            visibility: wgpu::ShaderStages::VERTEX,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        }],
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("scatter points"),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let attributes = wgpu::vertex_attr_array![0 => Float32x2, 1 => Unorm8x4, 2 => Float32];
    let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some("scatter points"),
        layout: Some(&pipeline_layout),
        vertex: wgpu::VertexState {
            module: &module,
            entry_point: Some("vs"),
            compilation_options: wgpu::PipelineCompilationOptions::default(),
            buffers: &[Some(wgpu::VertexBufferLayout {
                array_stride: std::mem::size_of::<Instance>() as wgpu::BufferAddress,
                step_mode: wgpu::VertexStepMode::Instance,
                attributes: &attributes,
            })],
        },
        primitive: wgpu::PrimitiveState::default(),
        depth_stencil: None,
        multisample: wgpu::MultisampleState::default(),
        fragment: Some(wgpu::FragmentState {
            module: &module,
            entry_point: Some("fs"),
            compilation_options: wgpu::PipelineCompilationOptions::default(),
            targets: &[Some(wgpu::ColorTargetState {
                format: render_state.target_format,
                blend: Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
                write_mask: wgpu::ColorWrites::ALL,
            })],
        }),
        multiview_mask: None,
        cache: None,
    });
    let resources = Resources { pipeline, layout, srgb: render_state.target_format.is_srgb(), entries: HashMap::new() };
    render_state.renderer.write().callback_resources.insert(resources);
}

/// The instances of a scatter: the visible points, faded when some are selected, then the
/// selected ones on top of a ring (the mesh path's order and look).
pub fn instances(
    xy: &[[f32; 2]],
    colours: &[Color32],
    hidden: &[bool],
    selected: &std::collections::BTreeSet<usize>,
    dark_mode: bool,
) -> Vec<Instance> {
    let fade = !selected.is_empty();
    let mut out = Vec::with_capacity(xy.len() + 2 * selected.len());
    for (i, (&p, &c)) in xy.iter().zip(colours).enumerate() {
        if hidden[i] || !p[0].is_finite() || !p[1].is_finite() || (fade && selected.contains(&i)) {
            continue;
        }
        let c = if fade { c.gamma_multiply(0.3) } else { c };
        out.push(Instance { xy: p, colour: c.to_array(), size: 1.0 });
    }
    let ring = if dark_mode { Color32::WHITE } else { Color32::BLACK };
    for &i in selected {
        if i >= xy.len() || hidden[i] || !xy[i][0].is_finite() || !xy[i][1].is_finite() {
            continue;
        }
        out.push(Instance { xy: xy[i], colour: ring.to_array(), size: 1.45 });
        out.push(Instance { xy: xy[i], colour: colours[i].to_array(), size: 1.0 });
    }
    out
}

/// One frame's draw of a scatter's points.
pub struct PointsCallback {
    /// The scatter's id (its entry in the resources).
    pub id: egui::Id,
    /// Identifies `instances`: uploaded again only when it changes.
    pub key: u64,
    /// The points (shared; copied to the GPU only for a new key).
    pub instances: Arc<Vec<Instance>>,
    /// Data rectangle shown.
    pub data: Rect,
    /// Screen rectangle it fills (points).
    pub screen: Rect,
    /// Marker radius in points.
    pub radius: f32,
}

impl PointsCallback {
    /// The paint callback drawing the points, clipped to `clip`.
    pub fn shape(self, clip: Rect) -> egui::Shape {
        egui::Shape::Callback(egui_wgpu::Callback::new_paint_callback(clip, self))
    }
}

impl CallbackTrait for PointsCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        screen_descriptor: &ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        resources: &mut CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        let Some(res) = resources.get_mut::<Resources>() else { return Vec::new() };
        let ppp = screen_descriptor.pixels_per_point;
        let scale = [self.screen.width() / self.data.width(), -self.screen.height() / self.data.height()];
        let offset =
            [self.screen.left() - self.data.left() * scale[0], self.screen.bottom() - self.data.top() * scale[1]];
        let uniforms = Uniforms {
            screen: [
                screen_descriptor.size_in_pixels[0] as f32 / ppp,
                screen_descriptor.size_in_pixels[1] as f32 / ppp,
            ],
            scale,
            offset,
            radius: self.radius,
            pixels_per_point: ppp,
            srgb: u32::from(res.srgb),
            padding: [0; 3],
        };
        let stale = res.entries.get(&self.id).is_none_or(|e| e.key != self.key);
        if stale {
            use wgpu::util::DeviceExt as _;
            // An empty buffer cannot be bound: keep one zeroed instance and draw none.
            let bytes: &[u8] = if self.instances.is_empty() {
                bytemuck::bytes_of(&Instance { xy: [0.0; 2], colour: [0; 4], size: 0.0 })
            } else {
                bytemuck::cast_slice(&self.instances)
            };
            let instances = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("scatter instances"),
                contents: bytes,
                usage: wgpu::BufferUsages::VERTEX,
            });
            let uniform_buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("scatter uniforms"),
                contents: bytemuck::bytes_of(&uniforms),
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            });
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("scatter uniforms"),
                layout: &res.layout,
                entries: &[wgpu::BindGroupEntry { binding: 0, resource: uniform_buffer.as_entire_binding() }],
            });
            let count = u32::try_from(self.instances.len()).unwrap_or(u32::MAX);
            res.entries
                .insert(self.id, Entry { key: self.key, instances, count, uniforms: uniform_buffer, bind_group });
        } else if let Some(entry) = res.entries.get(&self.id) {
            queue.write_buffer(&entry.uniforms, 0, bytemuck::bytes_of(&uniforms));
        }
        Vec::new()
    }

    fn paint(
        &self,
        info: egui::PaintCallbackInfo,
        pass: &mut wgpu::RenderPass<'static>,
        resources: &CallbackResources,
    ) {
        let Some(res) = resources.get::<Resources>() else { return };
        let Some(entry) = res.entries.get(&self.id) else { return };
        if entry.count == 0 {
            return;
        }
        // egui sets the viewport to the callback's rectangle; the shader works in whole-screen
        // points, so draw over the whole screen and let the clip rectangle cut.
        let [w, h] = info.screen_size_px;
        pass.set_viewport(0.0, 0.0, w as f32, h as f32, 0.0, 1.0);
        let clip = info.clip_rect_in_pixels();
        pass.set_scissor_rect(
            u32::try_from(clip.left_px).unwrap_or(0),
            u32::try_from(clip.top_px).unwrap_or(0),
            u32::try_from(clip.width_px).unwrap_or(0),
            u32::try_from(clip.height_px).unwrap_or(0),
        );
        pass.set_pipeline(&res.pipeline);
        pass.set_bind_group(0, &entry.bind_group, &[]);
        pass.set_vertex_buffer(0, entry.instances.slice(..));
        pass.draw(0..6, 0..entry.count);
    }
}

/// True when the app installed the GPU points (a wgpu renderer is running).
pub fn available(ctx: &egui::Context) -> bool {
    ctx.data(|d| d.get_temp::<bool>(egui::Id::unique(AVAILABLE)).unwrap_or(false))
}

/// Marks the GPU points as installed for `ctx`.
pub fn mark_available(ctx: &egui::Context) {
    ctx.data_mut(|d| d.insert_temp(egui::Id::unique(AVAILABLE), true));
}

const AVAILABLE: &str = "biolens_gpu_scatter";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_put_the_selection_on_top_with_rings() {
        let xy = [[0.0, 0.0], [1.0, 1.0], [f32::NAN, 2.0], [3.0, 3.0]];
        let colours = [Color32::RED; 4];
        let hidden = [false, false, false, true];
        let selected: std::collections::BTreeSet<usize> = [1].into_iter().collect();
        let out = instances(&xy, &colours, &hidden, &selected, true);
        // Point 0 faded; NaN and hidden points left out; point 1 last, over its ring.
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].colour, Color32::RED.gamma_multiply(0.3).to_array());
        assert_eq!((out[1].xy, out[1].size), ([1.0, 1.0], 1.45));
        assert_eq!((out[2].xy, out[2].colour), ([1.0, 1.0], Color32::RED.to_array()));
        assert_eq!(std::mem::size_of::<Instance>(), 16);
    }
}
